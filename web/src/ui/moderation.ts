import type { ModerationAction } from '../room/protocol';

/** What the moderation menu needs to know about a participant. */
export interface ModerationTarget {
  audio: boolean;
  video: boolean;
  screen: boolean;
  moderator: boolean;
}

/**
 * The actions worth offering on one participant, in menu order: only what would change something
 * (no "Mute" for someone already muted), and "Remove" last, away from the harmless ones.
 */
export function moderationActions(target: ModerationTarget): ModerationAction[] {
  const actions: ModerationAction[] = [];
  if (target.audio) actions.push('mute');
  if (target.video) actions.push('camera_off');
  if (target.screen) actions.push('stop_screen');
  if (!target.moderator) actions.push('promote');
  actions.push('remove');
  return actions;
}
