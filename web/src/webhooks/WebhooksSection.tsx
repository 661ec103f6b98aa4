import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/rooms';
import type { Messages } from '../i18n/messages';
import { useI18n } from '../i18n/I18nProvider';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { copyText } from '../ui/CopyLinkButton';
import { CheckIcon, CopyIcon } from '../ui/icons';
import { roomsErrorText } from '../ui/MyRoomsPage';
import {
  createWebhook,
  deleteWebhook,
  EVENT_TYPES,
  lastOutcome,
  listDeliveries,
  listWebhooks,
  redeliver,
  rotateWebhookSecret,
  sendTestEvent,
  setWebhookEnabled,
  type Delivery,
  type Webhook,
  type WebhookCreated,
  type WebhookEventType,
} from './api';
import './webhooks.css';

const DEFAULT_EVENTS: readonly WebhookEventType[] = [
  'meeting.started',
  'meeting.ended',
  'participant.joined',
  'participant.left',
];

export function eventName(t: Messages, type: string): string {
  const names: Record<string, string> = {
    'meeting.started': t.webhookEventMeetingStarted,
    'meeting.ended': t.webhookEventMeetingEnded,
    'participant.joined': t.webhookEventParticipantJoined,
    'participant.left': t.webhookEventParticipantLeft,
    'recording.ready': t.webhookEventRecordingReady,
    'transcript.ready': t.webhookEventTranscriptReady,
    'webhook.test': t.webhookEventTest,
  };
  return names[type] ?? type;
}

/** A sentence for a failed call: the webhook codes people can act on, else the rooms' wording. */
export function webhooksErrorText(t: Messages, error: unknown): string {
  const code = error instanceof ApiError ? error.code : 'network';
  switch (code) {
    case 'invalid_webhook_url':
      return t.webhookErrorUrl;
    case 'webhook_address_refused':
      return t.webhookErrorAddress;
    case 'too_many_webhooks':
      return t.webhookErrorTooMany;
    case 'invalid_event_type':
      return t.webhookErrorEvents;
    case 'not_an_administrator':
      return t.roomsErrorForbidden;
    default:
      return roomsErrorText(t, error);
  }
}

function ErrorLine({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}

interface WebhooksSectionProps {
  /** The room's slug, or null for the deployment's webhooks (administrators). */
  scope: string | null;
  csrf: string;
}

/** A room's (or the deployment's) webhooks: list, add (secret shown once), test, log, delete. */
export function WebhooksSection({ scope, csrf }: WebhooksSectionProps) {
  const { t } = useI18n();
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const titleId = useId();

  const reload = useCallback(async () => {
    try {
      setWebhooks(await listWebhooks(scope));
    } catch (failure) {
      setError(webhooksErrorText(t, failure));
    }
  }, [scope, t]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <section className="my-rooms__section webhooks" aria-labelledby={titleId} data-testid="webhooks">
      <h3 className="my-rooms__subheading" id={titleId}>
        {scope === null ? t.webhooksDeploymentTitle : t.webhooksTitle}
      </h3>
      <p className="my-rooms__muted my-rooms__small">{scope === null ? t.webhooksDeploymentIntro : t.webhooksIntro}</p>
      <AddWebhookForm
        scope={scope}
        csrf={csrf}
        onCreated={async (webhook) => {
          setCreated(webhook);
          await reload();
        }}
      />
      {created && <SecretShownOnce webhook={created} />}
      {webhooks !== null && webhooks.length === 0 && <p className="my-rooms__muted">{t.noWebhooks}</p>}
      {webhooks !== null && webhooks.length > 0 && (
        <ul className="webhooks__list">
          {webhooks.map((webhook) => (
            <WebhookRow
              key={webhook.id}
              webhook={webhook}
              scope={scope}
              csrf={csrf}
              onChanged={reload}
              onSecret={setCreated}
              onAnnounce={setAnnouncement}
              onDeleted={(id) => {
                if (created?.id === id) setCreated(null);
              }}
            />
          ))}
        </ul>
      )}
      <span className="sr-only" aria-live="polite">
        {announcement}
      </span>
      <ErrorLine error={error} />
    </section>
  );
}

function AddWebhookForm({
  scope,
  csrf,
  onCreated,
}: {
  scope: string | null;
  csrf: string;
  onCreated: (webhook: WebhookCreated) => Promise<void>;
}) {
  const { t } = useI18n();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>([...DEFAULT_EVENTS]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const urlId = useId();
  const descriptionId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (events.length === 0) {
      setError(t.webhookErrorEvents);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const webhook = await createWebhook(csrf, scope, { url, event_types: events, description });
      setUrl('');
      setDescription('');
      await onCreated(webhook);
    } catch (failure) {
      setError(webhooksErrorText(t, failure));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (type: WebhookEventType, on: boolean) =>
    setEvents((current) => EVENT_TYPES.filter((known) => (known === type ? on : current.includes(known))));

  return (
    <form className="webhooks__form" onSubmit={submit} data-testid="webhook-form">
      <div className="my-rooms__field">
        <label className="field-label" htmlFor={urlId}>
          {t.webhookUrlLabel}
        </label>
        <input
          id={urlId}
          type="url"
          inputMode="url"
          className="input input--boxed"
          data-testid="webhook-url"
          value={url}
          required
          maxLength={2000}
          placeholder="https://"
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => setUrl(event.target.value)}
        />
      </div>
      <div className="my-rooms__field">
        <label className="field-label" htmlFor={descriptionId}>
          {t.webhookDescriptionLabel}
        </label>
        <input
          id={descriptionId}
          className="input input--boxed"
          data-testid="webhook-description"
          value={description}
          maxLength={200}
          placeholder={t.webhookDescriptionPlaceholder}
          onChange={(event) => setDescription(event.target.value)}
        />
      </div>
      <fieldset className="webhooks__events">
        <legend className="field-label">{t.webhookEventsLegend}</legend>
        {EVENT_TYPES.map((type) => (
          <label key={type} className="webhooks__event">
            <input
              type="checkbox"
              data-testid={`webhook-event-${type}`}
              checked={events.includes(type)}
              onChange={(event) => toggle(type, event.target.checked)}
            />
            {eventName(t, type)}
          </label>
        ))}
      </fieldset>
      <button type="submit" className="button button--secondary" data-testid="webhook-add" disabled={busy}>
        {busy ? t.webhookAdding : t.webhookAdd}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

function SecretShownOnce({ webhook }: { webhook: WebhookCreated }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const secretId = useId();
  const hintId = useId();

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2500);
    return () => clearTimeout(timer);
  }, [copied]);

  return (
    <div className="my-rooms__created" role="status" data-testid="webhook-secret-box">
      <label className="field-label" htmlFor={secretId}>
        {t.webhookSecretLabel} — {webhook.url}
      </label>
      <p className="my-rooms__small my-rooms__muted" id={hintId}>
        {t.webhookSecretShownOnce}
      </p>
      <div className="my-rooms__link-row">
        <input
          id={secretId}
          className="input input--boxed my-rooms__link webhooks__secret"
          data-testid="webhook-secret"
          value={webhook.secret}
          aria-describedby={hintId}
          readOnly
          spellCheck={false}
          onFocus={(event) => event.target.select()}
        />
        <button
          type="button"
          className="button button--primary"
          data-testid="webhook-secret-copy"
          onClick={() => void copyText(webhook.secret).then(() => setCopied(true))}
        >
          {copied ? <CheckIcon size={20} /> : <CopyIcon size={20} />}
          {copied ? t.copied : t.copy}
        </button>
      </div>
      <span className="sr-only" aria-live="polite">
        {copied ? t.copied : ''}
      </span>
    </div>
  );
}

interface WebhookRowProps {
  webhook: Webhook;
  scope: string | null;
  csrf: string;
  onChanged: () => Promise<void>;
  onSecret: (webhook: WebhookCreated) => void;
  onAnnounce: (text: string) => void;
  onDeleted: (id: number) => void;
}

function WebhookRow({ webhook, scope, csrf, onChanged, onSecret, onAnnounce, onDeleted }: WebhookRowProps) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [logOpen, setLogOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [logVersion, setLogVersion] = useState(0);
  const logId = useId();
  const rowRef = useRef<HTMLLIElement>(null);

  const act = async (action: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      if (done) onAnnounce(done);
      await onChanged();
    } catch (failure) {
      setError(webhooksErrorText(t, failure));
    } finally {
      setBusy(false);
      setLogVersion((version) => version + 1);
    }
  };

  const state = !webhook.enabled ? 'off' : webhook.failing ? 'failing' : 'on';
  const stateText = { off: t.webhookOff, failing: t.webhookFailing, on: t.webhookOn }[state];

  return (
    <li className="webhooks__item" data-testid="webhook-row" data-id={webhook.id} ref={rowRef}>
      <div className="webhooks__head">
        <span className="webhooks__text">
          <span className="webhooks__url" data-testid="webhook-row-url">
            {webhook.url}
          </span>
          {webhook.description && <span className="my-rooms__muted my-rooms__small">{webhook.description}</span>}
          <span className="my-rooms__muted my-rooms__small">
            {webhook.event_types.map((type) => eventName(t, type)).join(' · ')}
          </span>
        </span>
        <span className={`my-rooms__badge webhooks__state webhooks__state--${state}`} data-testid="webhook-state">
          {stateText}
        </span>
      </div>
      <div className="webhooks__actions" role="group" aria-label={t.webhookActionsFor(webhook.url)}>
        <button
          type="button"
          className="button button--text"
          data-testid="webhook-test"
          disabled={busy || !webhook.enabled}
          onClick={() => void act(() => sendTestEvent(csrf, scope, webhook.id), t.webhookTestQueued)}
        >
          {t.webhookSendTest}
        </button>
        <button
          type="button"
          className="button button--text"
          data-testid="webhook-log-toggle"
          aria-expanded={logOpen}
          aria-controls={logOpen ? logId : undefined}
          onClick={() => setLogOpen(!logOpen)}
        >
          {t.webhookShowLog}
        </button>
        <button
          type="button"
          className="button button--text"
          data-testid="webhook-enable"
          disabled={busy}
          onClick={() => void act(() => setWebhookEnabled(csrf, scope, webhook.id, !webhook.enabled))}
        >
          {webhook.enabled ? t.webhookTurnOff : t.webhookTurnOn}
        </button>
        <button
          type="button"
          className="button button--text"
          data-testid="webhook-rotate"
          disabled={busy}
          onClick={() => void act(async () => onSecret(await rotateWebhookSecret(csrf, scope, webhook.id)))}
        >
          {t.webhookRotate}
        </button>
        <button
          type="button"
          className="button button--text my-rooms__danger"
          data-testid="webhook-delete"
          disabled={busy}
          onClick={() => setConfirming(true)}
        >
          {t.webhookDelete}
        </button>
      </div>
      {logOpen && <DeliveryLog id={logId} scope={scope} csrf={csrf} webhookId={webhook.id} version={logVersion} />}
      <ErrorLine error={error} />
      {confirming && (
        <ConfirmDialog
          title={t.webhookDeleteTitle}
          text={t.webhookDeleteText(webhook.url)}
          confirmLabel={t.webhookDelete}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            onDeleted(webhook.id);
            void act(() => deleteWebhook(csrf, scope, webhook.id), t.webhookDeleted);
          }}
        />
      )}
    </li>
  );
}

function DeliveryLog({
  id,
  scope,
  csrf,
  webhookId,
  version,
}: {
  id: string;
  scope: string | null;
  csrf: string;
  webhookId: number;
  version: number;
}) {
  const { t, language } = useI18n();
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');

  const reload = useCallback(async () => {
    try {
      setDeliveries(await listDeliveries(scope, webhookId));
      setError(null);
    } catch (failure) {
      setError(webhooksErrorText(t, failure));
    }
  }, [scope, webhookId, t]);

  useEffect(() => {
    void reload();
  }, [reload, version]);

  const resend = async (delivery: Delivery) => {
    try {
      await redeliver(csrf, scope, webhookId, delivery.id);
      setAnnouncement(t.deliveryResent);
      await reload();
    } catch (failure) {
      setError(webhooksErrorText(t, failure));
    }
  };

  const time = (iso: string) =>
    new Date(iso).toLocaleString(language === 'fr' ? 'fr-FR' : 'en-GB', {
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  const statusText = { delivered: t.deliveryDelivered, pending: t.deliveryPending, failed: t.deliveryFailed };

  return (
    <div id={id} className="webhooks__log" data-testid="webhook-log">
      <button type="button" className="button button--text" data-testid="webhook-log-refresh" onClick={() => void reload()}>
        {t.webhookRefreshLog}
      </button>
      {deliveries !== null && deliveries.length === 0 && <p className="my-rooms__muted my-rooms__small">{t.noDeliveries}</p>}
      {deliveries !== null && deliveries.length > 0 && (
        <ul className="webhooks__deliveries">
          {deliveries.map((delivery) => {
            const outcome = lastOutcome(delivery);
            return (
              <li key={delivery.id} className="webhooks__delivery" data-testid="delivery-row" data-status={delivery.status}>
                <span className="webhooks__text">
                  <span>
                    {eventName(t, delivery.event_type)} · {time(delivery.created_at)}
                  </span>
                  <span className="my-rooms__muted my-rooms__small">
                    <span className={`webhooks__outcome webhooks__outcome--${delivery.status}`}>
                      {statusText[delivery.status]}
                    </span>
                    {' · '}
                    {t.deliveryAttempts(delivery.attempts.length)}
                    {outcome?.status != null && ` · HTTP ${outcome.status}`}
                    {outcome?.error && outcome.status == null && ` · ${outcome.error}`}
                  </span>
                </span>
                {delivery.status !== 'pending' && (
                  <button
                    type="button"
                    className="button button--text"
                    data-testid="delivery-resend"
                    onClick={() => void resend(delivery)}
                  >
                    {t.deliveryResend}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <span className="sr-only" aria-live="polite">
        {announcement}
      </span>
      <ErrorLine error={error} />
    </div>
  );
}
