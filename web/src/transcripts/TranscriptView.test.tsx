// @vitest-environment happy-dom
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { reactPage } from '../testing/reactPage';
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

const page = reactPage();

function render(recordings: Recording[]) {
  page.show(<TranscriptView transcript={TRANSCRIPT} recordings={recordings} initialTurn={null} onClose={() => undefined} />);
}

describe('TranscriptView', () => {
  it('shows names as text, times from the start, and every download', () => {
    render([]);
    const speakers = [...page.container.querySelectorAll('[data-testid="turn-speaker"]')].map((e) => e.textContent);
    expect(speakers).toEqual(['<img src=x onerror=alert(1)>', 'Bob']);
    expect(page.container.querySelector('img')).toBeNull();
    expect([...page.container.querySelectorAll('.turn__time')].map((e) => e.textContent)).toEqual(['0:05', '2:00']);
    expect(page.container.querySelectorAll('[data-testid^="export-"]')).toHaveLength(5);
    expect(page.container.querySelector('[data-testid="recording-player"]')).toBeNull();
    expect(page.container.querySelector('button.turn')).toBeNull();
  });

  it('marks what the search finds, ignoring accents', () => {
    render([]);
    const input = page.container.querySelector<HTMLInputElement>('[data-testid="transcript-search"]')!;
    act(() => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      setter.call(input, 'reunion');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect([...page.container.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['réunion']);
    expect(page.container.querySelector('[data-testid="transcript-search-count"]')?.textContent).toBe('1 matching turn');
  });

  it('with a recording of the meeting, a click on a turn plays it from that moment', () => {
    render([RECORDING]);
    const player = page.container.querySelector<HTMLAudioElement>('[data-testid="recording-player"]')!;
    expect(player.getAttribute('src')).toBe('/api/v1/recordings/Xq3vR9kT2mLp/media');
    player.play = vi.fn(() => Promise.resolve());
    const turns = page.container.querySelectorAll<HTMLButtonElement>('button.turn');
    act(() => turns[1]!.click());
    expect(player.currentTime).toBe(130);
    expect(turns[1]!.getAttribute('aria-current')).toBe('true');
    const save = [...page.container.querySelectorAll('a')].find((a) => a.textContent === 'Download the recording');
    expect(save?.getAttribute('href')).toBe('/api/v1/recordings/Xq3vR9kT2mLp/media?download=1');
  });

  it('offers no player while the recording is still being prepared', () => {
    render([{ ...RECORDING, status: 'processing', duration_s: null, size_bytes: null, media_type: null }]);
    expect(page.container.querySelector('[data-testid="recording-player"]')).toBeNull();
    expect(page.container.querySelector('button.turn')).toBeNull();
  });
});
