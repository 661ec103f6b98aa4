import { describe, expect, it } from 'vitest';
import { CaptionStore, overlayLines, nextOverlayExpiry, shownText, type IncomingCaption } from './captionStore';

function storeAt(time = { now: 1_000 }, historyLimit?: number) {
  const store = new CaptionStore({ now: () => time.now, ...(historyLimit ? { historyLimit } : {}) });
  store.rememberParticipants([
    { id: 'p_a', name: 'Alice' },
    { id: 'p_b', name: 'Bob' },
  ]);
  return store;
}

const caption = (participant_id: string, segment_id: string, kind: 'partial' | 'final', text: string): IncomingCaption => ({
  participant_id,
  segment_id,
  kind,
  text,
});

describe('CaptionStore', () => {
  it('refines a partial with later partials, then settles it with its final', () => {
    const time = { now: 1_000 };
    const store = storeAt(time);
    store.apply(caption('p_b', 's1', 'partial', 'hello'));
    const first = store.getSnapshot().live[0]!;
    time.now = 1_400;
    store.apply(caption('p_b', 's1', 'partial', 'hello every'));
    expect(store.getSnapshot().live).toMatchObject([{ id: first.id, kind: 'partial', text: 'hello every', startedAt: 1_000 }]);
    time.now = 2_000;
    store.apply(caption('p_b', 's1', 'final', 'Hello everyone.'));
    const { live, history } = store.getSnapshot();
    expect(live).toEqual([]);
    expect(history).toMatchObject([{ id: first.id, kind: 'final', text: 'Hello everyone.', startedAt: 1_000, updatedAt: 2_000 }]);
  });

  it('keeps segments of different speakers apart even when their ids are the same', () => {
    const store = storeAt();
    store.apply(caption('p_a', 's1', 'partial', 'bonjour'));
    store.apply(caption('p_b', 's1', 'partial', 'hello'));
    expect(store.getSnapshot().live.map((l) => [l.speaker, l.text])).toEqual([
      ['Alice', 'bonjour'],
      ['Bob', 'hello'],
    ]);
  });

  it('appends finals to the history in the order they arrive', () => {
    const store = storeAt();
    store.apply(caption('p_a', 'a1', 'partial', 'first'));
    store.apply(caption('p_b', 'b1', 'final', 'second'));
    store.apply(caption('p_a', 'a1', 'final', 'first, settled'));
    store.apply(caption('p_b', 'b2', 'final', 'third'));
    expect(store.getSnapshot().history.map((l) => l.text)).toEqual(['second', 'first, settled', 'third']);
  });

  it('starts a new line when a segment id comes back after its final', () => {
    const store = storeAt();
    store.apply(caption('p_b', 's1', 'final', 'one'));
    store.apply(caption('p_b', 's1', 'partial', 'two'));
    const [settled] = store.getSnapshot().history;
    const [speaking] = store.getSnapshot().live;
    expect(speaking!.id).not.toBe(settled!.id);
  });

  it('keeps only the finals it lacks when the server sends them again after a reconnection', () => {
    const store = storeAt();
    store.apply(caption('p_a', 'x.s1', 'final', 'before the drop'));
    store.apply(caption('p_b', 'y.s1', 'partial', 'while you'));
    // Back on a new socket: the finals said since joining come again, one of them missed.
    store.apply(caption('p_a', 'x.s1', 'final', 'before the drop'));
    store.apply(caption('p_b', 'y.s1', 'final', 'while you were away'));
    store.apply(caption('p_a', 'x.s1', 'final', 'same segment, other words'));
    expect(store.getSnapshot().history.map((l) => l.text)).toEqual([
      'before the drop',
      'while you were away',
      'same segment, other words',
    ]);
    expect(store.getSnapshot().live).toEqual([]);
  });

  it('caps the history, dropping the oldest lines', () => {
    const store = storeAt({ now: 0 }, 500);
    for (let i = 0; i < 520; i++) store.apply(caption('p_a', `s${i}`, 'final', `line ${i}`));
    const { history } = store.getSnapshot();
    expect(history).toHaveLength(500);
    expect(history[0]!.text).toBe('line 20');
    expect(history[499]!.text).toBe('line 519');
  });

  it('attributes lines to the speaker, by the name they had even after they left', () => {
    const store = storeAt();
    store.apply(caption('p_b', 's1', 'partial', 'see you'));
    // Bob leaves: the UI only knows Alice now, but Bob's final still arrives.
    store.rememberParticipants([{ id: 'p_a', name: 'Alice' }]);
    store.apply(caption('p_b', 's1', 'final', 'See you all.'));
    store.apply(caption('p_b', 's2', 'final', 'Bye.'));
    expect(store.getSnapshot().history.map((l) => [l.participantId, l.speaker])).toEqual([
      ['p_b', 'Bob'],
      ['p_b', 'Bob'],
    ]);
    expect(store.nameOf('p_unknown')).toBe('');
  });

  it('ignores empty finals and drops a partial refined to nothing', () => {
    const store = storeAt();
    store.apply(caption('p_a', 's1', 'partial', 'uh'));
    store.apply(caption('p_a', 's1', 'final', '  '));
    store.apply(caption('p_b', 's2', 'partial', 'hmm'));
    store.apply(caption('p_b', 's2', 'partial', ''));
    expect(store.getSnapshot()).toEqual({ history: [], live: [] });
  });

  it('tells subscribers about each change with a new snapshot', () => {
    const store = storeAt();
    const seen: unknown[] = [];
    const off = store.subscribe(() => seen.push(store.getSnapshot()));
    store.apply(caption('p_a', 's1', 'partial', 'a'));
    store.apply(caption('p_a', 's1', 'final', 'a.'));
    off();
    store.apply(caption('p_a', 's2', 'final', 'b.'));
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
  });

  it('forgets lines being spoken when subtitles go off, and keeps the history', () => {
    const store = storeAt();
    store.apply(caption('p_a', 's1', 'final', 'kept'));
    store.apply(caption('p_b', 's2', 'partial', 'cut off'));
    store.dropLive();
    expect(store.getSnapshot().live).toEqual([]);
    expect(store.getSnapshot().history).toHaveLength(1);
  });
});

describe('overlayLines', () => {
  const options = { count: 3, finalMs: 8_000, staleMs: 20_000 };

  it('shows recent finals and current partials in the order they started, the newest three', () => {
    const time = { now: 0 };
    const store = storeAt(time);
    for (const [at, who, id, kind, text] of [
      [0, 'p_a', 'a1', 'final', 'one'],
      [1_000, 'p_b', 'b1', 'final', 'two'],
      [2_000, 'p_a', 'a2', 'partial', 'four (started before three settled)'],
      [3_000, 'p_b', 'b2', 'final', 'three'],
      [4_000, 'p_b', 'b3', 'partial', 'five'],
    ] as const) {
      time.now = at;
      store.apply(caption(who, id, kind, text));
    }
    const lines = overlayLines(store.getSnapshot(), 4_000, options);
    expect(lines.map((l) => l.text)).toEqual(['four (started before three settled)', 'three', 'five']);
  });

  it('lets settled lines fade after a while, and stale partials too', () => {
    const time = { now: 0 };
    const store = storeAt(time);
    store.apply(caption('p_a', 'a1', 'final', 'old'));
    store.apply(caption('p_b', 'b1', 'partial', 'never finished'));
    expect(nextOverlayExpiry(overlayLines(store.getSnapshot(), 0, options), options)).toBe(8_000);
    expect(overlayLines(store.getSnapshot(), 8_000, options).map((l) => l.text)).toEqual(['never finished']);
    expect(overlayLines(store.getSnapshot(), 20_000, options)).toEqual([]);
  });
});

describe('captions in English', () => {
  it('keeps the translation of finals, never of partials', () => {
    const store = storeAt();
    store.apply({ ...caption('p_a', 's1', 'partial', 'bonjour'), translation: 'hello' });
    expect(store.getSnapshot().live[0]!.translation).toBeUndefined();
    store.apply({ ...caption('p_a', 's1', 'final', 'Bonjour à tous.'), language: 'fr', translation: ' Hello everyone. ' });
    expect(store.getSnapshot().history).toMatchObject([{ text: 'Bonjour à tous.', language: 'fr', translation: 'Hello everyone.' }]);
  });

  it('shows the English of a final to a viewer who chose English, with the original kept', () => {
    const store = storeAt();
    store.apply({ ...caption('p_a', 's1', 'final', 'Bonjour à tous.'), language: 'fr', translation: 'Hello everyone.' });
    const line = store.getSnapshot().history[0]!;
    expect(shownText(line, true)).toEqual({
      text: 'Hello everyone.',
      language: 'en',
      original: { text: 'Bonjour à tous.', language: 'fr' },
    });
    expect(shownText(line, false)).toEqual({ text: 'Bonjour à tous.', language: 'fr' });
  });

  it('shows partials, and finals without a translation, as spoken', () => {
    const store = storeAt();
    store.apply({ ...caption('p_a', 's1', 'partial', 'bonjour'), language: 'fr' });
    store.apply({ ...caption('p_b', 's2', 'final', 'Hello.'), language: 'en' });
    const { live, history } = store.getSnapshot();
    expect(shownText(live[0]!, true)).toEqual({ text: 'bonjour', language: 'fr' });
    expect(shownText(history[0]!, true)).toEqual({ text: 'Hello.', language: 'en' });
  });
});
