import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../i18n/messages';
import { REACTION_NAMES } from '../room/protocol';
import {
  addFloating,
  ANNOUNCE_INTERVAL_MS,
  emojiOf,
  liveFloating,
  MAX_FLOATING_PER_TILE,
  REACTION_EMOJI,
  REACTION_SHOWN_MS,
  ReactionAnnouncer,
  type FloatingReaction,
} from './reactions';

const en = MESSAGES.en;

describe('REACTION_EMOJI', () => {
  it('has one emoji for each reaction of the protocol', () => {
    expect(REACTION_EMOJI.map(([name]) => name)).toEqual([...REACTION_NAMES]);
    expect(new Set(REACTION_EMOJI.map(([, emoji]) => emoji)).size).toBe(REACTION_NAMES.length);
    expect(emojiOf('clap')).toBe('👏');
  });
});

describe('floating reactions', () => {
  const at = (key: number, participantId: string, time: number): FloatingReaction => ({
    key,
    participantId,
    reaction: 'heart',
    at: time,
  });

  it('drop those older than the time they are shown', () => {
    const floating = [at(1, 'a', 0), at(2, 'b', 1000)];
    expect(addFloating(floating, at(3, 'a', REACTION_SHOWN_MS + 1)).map((f) => f.key)).toEqual([2, 3]);
    expect(liveFloating(floating, REACTION_SHOWN_MS + 500).map((f) => f.key)).toEqual([2]);
  });

  it('keep at most a few over one tile, the newest', () => {
    let floating: FloatingReaction[] = [];
    for (let key = 1; key <= MAX_FLOATING_PER_TILE + 2; key++) floating = addFloating(floating, at(key, 'a', key));
    floating = addFloating(floating, at(100, 'b', 10));
    expect(floating.filter((f) => f.participantId === 'a').map((f) => f.key)).toEqual([3, 4, 5, 6]);
    expect(floating.some((f) => f.key === 100)).toBe(true);
  });
});

describe('ReactionAnnouncer', () => {
  it('says the first reaction, then stays quiet for a while and counts', () => {
    const announcer = new ReactionAnnouncer();
    expect(announcer.announce('Ada', 'clap', 0, en)).toBe('Ada reacted: applause');
    expect(announcer.announce('Bob', 'heart', 500, en)).toBeNull();
    expect(announcer.announce('Bob', 'party', 1500, en)).toBeNull();
    expect(announcer.announce('Eve', 'laugh', ANNOUNCE_INTERVAL_MS + 1, en)).toBe(
      'Eve reacted: laughter, and 2 more reactions',
    );
    expect(announcer.announce('Eve', 'laugh', 2 * ANNOUNCE_INTERVAL_MS + 2, en)).toBe('Eve reacted: laughter');
  });

  it('speaks French too', () => {
    const announcer = new ReactionAnnouncer();
    expect(announcer.announce('Ada', 'thumbs_up', 0, MESSAGES.fr)).toBe('Ada a réagi : pouce levé');
    announcer.announce('Bob', 'heart', 10, MESSAGES.fr);
    expect(announcer.announce('Ada', 'heart', 5000, MESSAGES.fr)).toBe('Ada a réagi : cœur, et 1 autre réaction');
  });
});
