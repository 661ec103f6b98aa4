// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../i18n/I18nProvider';
import type { Recording, TranscriptDetail } from './api';
import { TranscriptView } from './TranscriptView';

const TRANSCRIPT: TranscriptDetail = {
  id: 7,
  room_slug: 'abc-defg-hij',
  room_name: 'Comité',
  started_at: '2026-12-02T10:00:00Z',
  ended_at: '2026-12-02T10:30:00Z',
  started_by: 'x',
  status: 'complete',
  language: 'fr',
  turn_count: 2,
  turns: [
    {
      id: 1,
      participant_id: 'p_a',
      speaker: '<img src=x onerror=alert(1)>',
      user_id: null,
      started_at: '2026-12-02T10:00:05Z',
      ended_at: '2026-12-02T10:00:07Z',
      text: 'La réunion commence.',
      language: 'fr',
    },
    {
      id: 2,
      participant_id: 'p_b',
      speaker: 'Bob',
      user_id: null,
      started_at: '2026-12-02T10:02:00Z',
      ended_at: '2026-12-02T10:02:04Z',
      text: 'Le budget est voté.',
      language: 'fr',
    },
  ],
};

const RECORDING: Recording = {
  id: 'Xq3vR9kT2mLp',
  room_slug: 'abc-defg-hij',
  kind: 'audio',
  status: 'ready',
  started_at: '2026-12-02T09:59:50Z',
  ended_at: '2026-12-02T10:31:00Z',
  duration_s: 1870,
  size_bytes: 1000,
  media_type: 'audio/ogg',
};

let container: HTMLElement;
let root: Root | null = null;

beforeEach(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  vi.stubGlobal('navigator', { ...navigator, language: 'en', languages: ['en'] });
  container = document.createElement('div');
  document.body.append(container);
});

afterEach(() => {
  if (root) act(() => root?.unmount());
  root = null;
  container.remove();
  vi.unstubAllGlobals();
});

function render(recordings: Recording[]) {
  act(() => {
    root = createRoot(container);
    root.render(
      <I18nProvider>
        <TranscriptView transcript={TRANSCRIPT} recordings={recordings} initialTurn={null} onClose={() => undefined} />
      </I18nProvider>,
    );
  });
}

describe('TranscriptView', () => {
  it('shows names as text, times from the start, and every download', () => {
    render([]);
    const speakers = [...container.querySelectorAll('[data-testid="turn-speaker"]')].map((e) => e.textContent);
    expect(speakers).toEqual(['<img src=x onerror=alert(1)>', 'Bob']);
    expect(container.querySelector('img')).toBeNull();
    expect([...container.querySelectorAll('.turn__time')].map((e) => e.textContent)).toEqual(['0:05', '2:00']);
    expect(container.querySelectorAll('[data-testid^="export-"]')).toHaveLength(5);
    expect(container.querySelector('[data-testid="recording-player"]')).toBeNull();
    expect(container.querySelector('button.turn')).toBeNull();
  });

  it('marks what the search finds, ignoring accents', () => {
    render([]);
    const input = container.querySelector<HTMLInputElement>('[data-testid="transcript-search"]')!;
    act(() => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      setter.call(input, 'reunion');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect([...container.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['réunion']);
    expect(container.querySelector('[data-testid="transcript-search-count"]')?.textContent).toBe('1 matching turn');
  });

  it('with a recording of the meeting, a click on a turn plays it from that moment', () => {
    render([RECORDING]);
    const player = container.querySelector<HTMLAudioElement>('[data-testid="recording-player"]')!;
    expect(player.getAttribute('src')).toBe('/api/v1/recordings/Xq3vR9kT2mLp/media');
    player.play = vi.fn(() => Promise.resolve());
    const turns = container.querySelectorAll<HTMLButtonElement>('button.turn');
    act(() => turns[1]!.click());
    expect(player.currentTime).toBe(130);
    expect(turns[1]!.getAttribute('aria-current')).toBe('true');
    const save = [...container.querySelectorAll('a')].find((a) => a.textContent === 'Download the recording');
    expect(save?.getAttribute('href')).toBe('/api/v1/recordings/Xq3vR9kT2mLp/media?download=1');
  });

  it('offers no player while the recording is still being prepared', () => {
    render([{ ...RECORDING, status: 'processing', duration_s: null, size_bytes: null, media_type: null }]);
    expect(container.querySelector('[data-testid="recording-player"]')).toBeNull();
    expect(container.querySelector('button.turn')).toBeNull();
  });
});
