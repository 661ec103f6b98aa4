// @vitest-environment happy-dom
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { CaptionLine } from '../room/captionStore';
import type { CaptionsInfo } from '../room/protocol';
import { reactPage } from '../testing/reactPage';
import { CaptionsPanel } from './CaptionsPanel';

const FINAL: CaptionLine = {
  id: 1,
  participantId: 'p_a',
  speaker: 'Alice',
  segmentId: 's1',
  kind: 'final',
  text: 'Bonjour à tous.',
  language: 'fr',
  translation: 'Hello everyone.',
  startedAt: 1_000,
  updatedAt: 2_000,
};

const page = reactPage({ language: 'fr' });

function renderPanel(captions: CaptionsInfo, english: boolean, onEnglish = vi.fn()) {
  page.show(
    <CaptionsPanel
      id="captions"
      captions={captions}
      history={[FINAL]}
      selfId="p_me"
      moderator={false}
      pending={null}
      visible
      textSize={1}
      english={english}
      onEnglish={onEnglish}
      onTextSize={() => undefined}
      onSetCaptions={() => undefined}
      onClose={() => undefined}
    />,
  );
  return onEnglish;
}

const toggle = () => page.container.querySelector<HTMLInputElement>('[data-testid="captions-english"]');

describe('CaptionsPanel, reading in English', () => {
  it('offers "Afficher en anglais" only while subtitles are on, and says when it is chosen', () => {
    const onEnglish = renderPanel({ enabled: true, language: 'fr' }, false);
    expect(toggle()?.closest('label')?.textContent).toBe('Afficher en anglais');
    expect(toggle()?.checked).toBe(false);
    act(() => toggle()!.click());
    expect(onEnglish).toHaveBeenCalledWith(true);
    page.unmount();
    renderPanel({ enabled: false, language: 'fr' }, false);
    expect(toggle()).toBeNull();
  });

  it('shows the history in English with the original under it, each in its language', () => {
    renderPanel({ enabled: true, language: 'fr' }, true);
    const entry = page.container.querySelector('[data-testid="caption-entry"]')!;
    const text = entry.querySelector('.caption-entry__text')!;
    expect([text.textContent, text.getAttribute('lang')]).toEqual(['Hello everyone.', 'en']);
    const original = entry.querySelector('[data-testid="caption-original"]')!;
    expect(original.textContent).toBe('Original : Bonjour à tous.');
    expect(original.querySelector('[lang="fr"]')?.textContent).toBe('Bonjour à tous.');
  });

  it('shows the history as spoken when English is not chosen', () => {
    renderPanel({ enabled: true, language: 'fr' }, false);
    expect(page.container.querySelector('.caption-entry__text')?.textContent).toBe('Bonjour à tous.');
    expect(page.container.querySelector('[data-testid="caption-original"]')).toBeNull();
  });
});
