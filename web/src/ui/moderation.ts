import type { ModerationAction } from '../room/protocol';

/** What the moderation menu needs to know about a participant. */
export interface ModerationTarget {
  audio: boolean;
  video: boolean;
  screen: boolean;
  moderator: boolean;
  /** Their hand is up. */
  handRaised?: boolean;
}

/**
 * The actions worth offering on one participant, in menu order: only what would change something
 * (no "Mute" for someone already muted), "Lower hand" first when their hand is up (what a moderator
 * most likely wants then), and "Remove" last, away from the harmless ones.
 */
export function moderationActions(target: ModerationTarget): ModerationAction[] {
  const actions: ModerationAction[] = [];
  if (target.handRaised) actions.push('lower_hand');
  if (target.audio) actions.push('mute');
  if (target.video) actions.push('camera_off');
  if (target.screen) actions.push('stop_screen');
  if (!target.moderator) actions.push('promote');
  actions.push('remove');
  return actions;
}

/** Raised hands first, in the order they went up; then everyone else in their given order. */
export function byRaisedHand<T extends { handRaisedAt?: string | null | undefined }>(rows: readonly T[]): T[] {
  const raised = rows.filter((row) => row.handRaisedAt).sort((a, b) => Date.parse(a.handRaisedAt!) - Date.parse(b.handRaisedAt!));
  return [...raised, ...rows.filter((row) => !row.handRaisedAt)];
}
