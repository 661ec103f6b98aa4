/** Webhooks of a room (`scope` its slug) or of the whole deployment (`scope` null, administrators). */
import { request } from '../api/rooms';

export type WebhookEventType =
  | 'meeting.started'
  | 'meeting.ended'
  | 'participant.joined'
  | 'participant.left'
  | 'recording.ready'
  | 'transcript.ready';

/** Every type an endpoint may ask for, in the server's order (the list answers with them too). */
export const EVENT_TYPES: readonly WebhookEventType[] = [
  'meeting.started',
  'meeting.ended',
  'participant.joined',
  'participant.left',
  'recording.ready',
  'transcript.ready',
];

export interface Webhook {
  id: number;
  url: string;
  description: string | null;
  event_types: WebhookEventType[];
  enabled: boolean;
  /** Several attempts in a row failed. */
  failing: boolean;
  consecutive_failures: number;
  created_at: string;
  last_success_at: string | null;
  last_failure_at: string | null;
}

export interface WebhookCreated extends Webhook {
  /** The signing secret, shown this once. */
  secret: string;
}

export interface DeliveryAttempt {
  attempted_at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export interface Delivery {
  id: number;
  message_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  created_at: string;
  next_attempt_at: string | null;
  attempts: DeliveryAttempt[];
}

export interface WebhookInput {
  url: string;
  event_types: WebhookEventType[];
  description?: string;
}

const base = (scope: string | null) =>
  scope === null ? '/api/v1/webhooks' : `/api/v1/rooms/${encodeURIComponent(scope)}/webhooks`;

function send<T>(csrf: string, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'X-CSRF-Token': csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return request<T>(path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
}

export async function listWebhooks(scope: string | null): Promise<Webhook[]> {
  return (await request<{ webhooks: Webhook[] }>(base(scope), { credentials: 'same-origin' })).webhooks;
}

export function createWebhook(csrf: string, scope: string | null, input: WebhookInput): Promise<WebhookCreated> {
  const description = input.description?.trim();
  return send(csrf, 'POST', base(scope), {
    url: input.url.trim(),
    event_types: input.event_types,
    ...(description ? { description } : {}),
  });
}

export function setWebhookEnabled(csrf: string, scope: string | null, id: number, enabled: boolean): Promise<Webhook> {
  return send(csrf, 'PATCH', `${base(scope)}/${id}`, { enabled });
}

export function deleteWebhook(csrf: string, scope: string | null, id: number): Promise<unknown> {
  return send(csrf, 'DELETE', `${base(scope)}/${id}`);
}

export function rotateWebhookSecret(csrf: string, scope: string | null, id: number): Promise<WebhookCreated> {
  return send(csrf, 'POST', `${base(scope)}/${id}/secret`);
}

export function sendTestEvent(csrf: string, scope: string | null, id: number): Promise<unknown> {
  return send(csrf, 'POST', `${base(scope)}/${id}/test`);
}

export async function listDeliveries(scope: string | null, id: number): Promise<Delivery[]> {
  return (await request<{ deliveries: Delivery[] }>(`${base(scope)}/${id}/deliveries`, { credentials: 'same-origin' }))
    .deliveries;
}

export function redeliver(csrf: string, scope: string | null, id: number, deliveryId: number): Promise<unknown> {
  return send(csrf, 'POST', `${base(scope)}/${id}/deliveries/${deliveryId}/redeliver`);
}

/** What the log shows for a delivery's last attempt: the HTTP status, else what failed. */
export function lastOutcome(delivery: Delivery): { status: number | null; error: string | null } | null {
  const last = delivery.attempts[delivery.attempts.length - 1];
  return last ? { status: last.status_code, error: last.error } : null;
}
