// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { ChatMessageInfo } from '../room/protocol';
import { reactPage } from '../testing/reactPage';
import { ChatPanel } from './ChatPanel';

const message = (id: string, minute: number, earlier: boolean): ChatMessageInfo => ({
  id,
  participant_id: 'p_alice',
  name: 'Alice',
  text: `text ${id}`,
  sent_at: new Date(Date.UTC(2026, 11, 2, 9, minute)).toISOString(),
  earlier,
});

const page = reactPage();

function renderChat(messages: ChatMessageInfo[], language: string) {
  page.setLanguage(language);
  page.show(
    <ChatPanel
      id="chat"
      messages={messages}
      selfId="p_me"
      moderator={false}
      error={null}
      refusedText={null}
      onSend={() => true}
      onDelete={() => undefined}
      onDismissError={() => undefined}
      onClose={() => undefined}
    />,
  );
}

/** The log's items in order: a divider's accessible name, or a message's id. */
function items(): string[] {
  return [...page.container.querySelectorAll('[data-testid="chat-log"] > li')].map((li) =>
    li.getAttribute('role') === 'separator' ? `— ${li.getAttribute('aria-label')} —` : (li.getAttribute('data-message-id') ?? '?'),
  );
}

describe('ChatPanel, the kept chat of earlier meetings', () => {
  it('opens the kept history with "Earlier meetings" and this meeting with "This meeting"', () => {
    // Alice's last kept message and her first one now are a minute apart: they must not merge.
    renderChat([message('m_old1', 0, true), message('m_old2', 1, true), message('m_new', 2, false)], 'en');
    expect(items()).toEqual(['— Earlier meetings —', 'm_old1', 'm_old2', '— This meeting —', 'm_new']);
    const first = page.container.querySelector('[data-message-id="m_new"] .chat-message__meta');
    expect(first?.textContent).toContain('Alice');
  });

  it('speaks French', () => {
    renderChat([message('m_old', 0, true), message('m_new', 1, false)], 'fr');
    expect(items()).toEqual(['— Réunions précédentes —', 'm_old', '— Cette réunion —', 'm_new']);
  });

  it('shows no divider when nothing was kept, nor after the kept history alone', () => {
    renderChat([message('m_1', 0, false), message('m_2', 1, false)], 'en');
    expect(items()).toEqual(['m_1', 'm_2']);
    page.unmount();
    renderChat([message('m_old', 0, true)], 'en');
    expect(items()).toEqual(['— Earlier meetings —', 'm_old']);
  });
});
