import type { Messages } from '../i18n/messages';
import type { ReactionName } from '../room/protocol';

/** The emoji each reaction of the protocol shows, in the order the picker offers them. */
export const REACTION_EMOJI: ReadonlyArray<readonly [ReactionName, string]> = [
  ['thumbs_up', '👍'],
  ['clap', '👏'],
  ['laugh', '😂'],
  ['heart', '❤️'],
  ['party', '🎉'],
  ['surprised', '😮'],
];

export const emojiOf = (reaction: ReactionName): string =>
  REACTION_EMOJI.find(([name]) => name === reaction)?.[1] ?? '';

/** The reaction's name as said to a screen reader, e.g. "applause". */
export function reactionLabel(reaction: ReactionName, t: Messages): string {
  switch (reaction) {
    case 'thumbs_up':
      return t.reactionThumbsUp;
    case 'clap':
      return t.reactionClap;
    case 'laugh':
      return t.reactionLaugh;
    case 'heart':
      return t.reactionHeart;
    case 'party':
      return t.reactionParty;
    case 'surprised':
      return t.reactionSurprised;
  }
}

/** How long a reaction floats over its tile. */
export const REACTION_SHOWN_MS = 3_000;
/** At most this many reactions float over one tile at once (the oldest go first). */
export const MAX_FLOATING_PER_TILE = 4;

export interface FloatingReaction {
  /** Unique for the page's lifetime (a React key). */
  key: number;
  participantId: string;
  reaction: ReactionName;
  /** When it arrived (ms, any monotonic clock); it goes REACTION_SHOWN_MS later. */
  at: number;
}

/** The reactions floating now, with one more: those gone by `now` dropped, at most a few per tile. */
export function addFloating(floating: readonly FloatingReaction[], next: FloatingReaction): FloatingReaction[] {
  const live = floating.filter((item) => next.at - item.at < REACTION_SHOWN_MS);
  const sameTile = live.filter((item) => item.participantId === next.participantId);
  const dropped = new Set(sameTile.slice(0, Math.max(0, sameTile.length - MAX_FLOATING_PER_TILE + 1)).map((item) => item.key));
  return [...live.filter((item) => !dropped.has(item.key)), next];
}

/** Those still floating at `now`. */
export const liveFloating = (floating: readonly FloatingReaction[], now: number): FloatingReaction[] =>
  floating.filter((item) => now - item.at < REACTION_SHOWN_MS);

/** The shortest time between two reaction announcements: a burst is said once, not ten times. */
export const ANNOUNCE_INTERVAL_MS = 2_000;

/**
 * Says reactions to screen readers, at most one every ANNOUNCE_INTERVAL_MS: reactions that come
 * sooner are counted and the next announcement that gets through says how many were skipped
 * ("Ada reacted: applause, and 3 more reactions").
 */
export class ReactionAnnouncer {
  private last = Number.NEGATIVE_INFINITY;
  private skipped = 0;

  /** The sentence to announce for this reaction, or null to stay quiet now. */
  announce(name: string, reaction: ReactionName, now: number, t: Messages): string | null {
    if (now - this.last < ANNOUNCE_INTERVAL_MS) {
      this.skipped += 1;
      return null;
    }
    this.last = now;
    const skipped = this.skipped;
    this.skipped = 0;
    return t.reactionAnnouncement(name, reactionLabel(reaction, t), skipped);
  }
}
