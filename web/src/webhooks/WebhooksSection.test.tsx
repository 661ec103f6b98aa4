// @vitest-environment happy-dom
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { MESSAGES } from '../i18n/messages';
import { ApiError } from '../api/rooms';
import { reactPage } from '../testing/reactPage';
import { WebhooksSection, webhooksErrorText } from './WebhooksSection';

const WEBHOOK = {
  id: 7,
  url: 'https://crm.example.org/visio',
  description: null,
  event_types: ['meeting.started', 'meeting.ended'],
  enabled: true,
  failing: false,
  consecutive_failures: 0,
  created_at: '2026-12-02T08:00:00Z',
  last_success_at: null,
  last_failure_at: null,
};

const page = reactPage();

const json = (body: unknown, status = 200) => Promise.resolve(new Response(JSON.stringify(body), { status }));

async function settle() {
  for (let i = 0; i < 5; i += 1) await act(() => Promise.resolve());
}

describe('WebhooksSection', () => {
  it('adds a webhook with the chosen events and shows its secret once', async () => {
    const listed: unknown[] = [];
    const calls: { method: string; url: string; body: unknown; csrf: string | null }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init: RequestInit = {}) => {
        const method = init.method ?? 'GET';
        const headers = (init.headers ?? {}) as Record<string, string>;
        calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : null, csrf: headers['X-CSRF-Token'] ?? null });
        if (method === 'POST') {
          listed.push(WEBHOOK);
          return json({ ...WEBHOOK, secret: 'whsec_c2VjcmV0' }, 201);
        }
        return json({ webhooks: listed, event_types: [] });
      }),
    );
    page.show(<WebhooksSection scope="abc-defg-hij" csrf="csrf-1" />);
    await settle();
    expect(page.container.textContent).toContain('No webhook yet.');

    const url = page.container.querySelector<HTMLInputElement>('[data-testid="webhook-url"]')!;
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    act(() => {
      setter.call(url, WEBHOOK.url);
      url.dispatchEvent(new Event('input', { bubbles: true }));
    });
    for (const type of ['participant.joined', 'participant.left']) {
      act(() => page.container.querySelector<HTMLInputElement>(`[data-testid="webhook-event-${type}"]`)!.click());
    }
    act(() => page.container.querySelector<HTMLButtonElement>('[data-testid="webhook-add"]')!.click());
    await settle();

    const post = calls.find((call) => call.method === 'POST')!;
    expect(post.url).toBe('/api/v1/rooms/abc-defg-hij/webhooks');
    expect(post.csrf).toBe('csrf-1');
    expect(post.body).toEqual({ url: WEBHOOK.url, event_types: ['meeting.started', 'meeting.ended'] });
    const secret = page.container.querySelector<HTMLInputElement>('[data-testid="webhook-secret"]')!;
    expect(secret.value).toBe('whsec_c2VjcmV0');
    expect(secret.readOnly).toBe(true);
    expect(page.container.querySelector('label[for="' + secret.id + '"]')).not.toBeNull();
    expect(page.container.querySelectorAll('[data-testid="webhook-row"]')).toHaveLength(1);
    expect(page.container.querySelector('[data-testid="webhook-row"]')!.textContent).not.toContain('whsec_');
  });

  it('asks the deployment routes when it has no room', async () => {
    const fetched = vi.fn((_url: string) => json({ webhooks: [WEBHOOK], event_types: [] }));
    vi.stubGlobal('fetch', fetched);
    page.show(<WebhooksSection scope={null} csrf="csrf-1" />);
    await settle();
    expect(fetched.mock.calls[0]![0]).toBe('/api/v1/webhooks');
    expect(page.container.textContent).toContain('Webhooks for every room');
    expect(page.container.textContent).toContain('Meeting started · Meeting ended');
  });
});

describe('webhooksErrorText', () => {
  it('says why an address is refused, in both languages', () => {
    const refused = new ApiError('webhook_address_refused', '127.0.0.1 is a loopback address', 422);
    expect(webhooksErrorText(MESSAGES.en, refused)).toContain('public addresses only');
    expect(webhooksErrorText(MESSAGES.fr, refused)).toContain('adresses publiques');
  });
});
