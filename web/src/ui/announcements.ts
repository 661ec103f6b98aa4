import type { Messages } from '../i18n/messages';
import type { CaptionsInfo, ModerationAction, ParticipantInfo } from '../room/protocol';
import type { RoomLockState } from '../room/session';
import { captionLanguageName } from './captionLanguages';

/**
 * What screen reader users hear in the meeting (the page's polite live region), as plain functions
 * of what changed: each returns the sentence, or null when nothing worth saying happened.
 */

/** Someone left, or a moderator removed them. */
export function participantLeftAnnouncement(name: string, reason: string, t: Messages): string {
  return reason === 'removed' ? t.participantRemoved(name) : t.participantLeft(name);
}

/** What a moderator hears right after acting on someone. */
export function moderationAnnouncement(action: ModerationAction, name: string, t: Messages): string | null {
  switch (action) {
    case 'mute':
      return t.participantMuted(name);
    case 'camera_off':
      return t.participantCameraTurnedOff(name);
    case 'stop_screen':
      return t.participantScreenStopped(name);
    case 'lower_hand':
      return t.participantHandLowered(name);
    case 'remove':
    case 'promote':
      return null; // Announced when the server confirms them.
  }
}

/** The meeting's subtitles changed: `by` names someone else who changed them (null for yourself or unknown). */
export function captionsAnnouncement(
  previous: CaptionsInfo,
  next: CaptionsInfo,
  by: string | null,
  t: Messages,
): string | null {
  if (next.enabled) {
    if (previous.enabled && previous.language === next.language) return null;
    return t.subtitlesOnAnnouncement(captionLanguageName(next.language, t), by);
  }
  return previous.enabled ? t.subtitlesOffAnnouncement(by) : null;
}

/**
 * The room was locked or unlocked: said with the moderator's name, unless it was you. Null for the
 * state on joining (no `setBy`): nothing happened.
 */
export function lockAnnouncement(
  lock: RoomLockState,
  selfId: string | null,
  participants: readonly ParticipantInfo[],
  t: Messages,
): string | null {
  if (!lock.setBy) return null;
  const by = lock.setBy === selfId ? null : (participants.find((p) => p.id === lock.setBy)?.name ?? null);
  return lock.locked ? t.meetingLockedBy(by) : t.meetingUnlockedBy(by);
}

/**
 * What changed among the others worth saying: a hand that went up (not one already up when
 * someone arrives), else someone already here who became a moderator (arriving as one is no news).
 * The latest such person is named.
 */
export function participantsAnnouncement(
  previous: readonly ParticipantInfo[],
  next: readonly ParticipantInfo[],
  t: Messages,
): string | null {
  const before = new Map(previous.map((p) => [p.id, p]));
  const raised = next.filter((p) => p.hand_raised_at && before.has(p.id) && before.get(p.id)?.hand_raised_at !== p.hand_raised_at);
  const lastRaised = raised[raised.length - 1];
  if (lastRaised) return t.participantRaisedHand(lastRaised.name);
  const promoted = next.filter((p) => p.moderator && before.get(p.id)?.moderator === false);
  const lastPromoted = promoted[promoted.length - 1];
  return lastPromoted ? t.nowModerator(lastPromoted.name) : null;
}

/** You became a moderator (not: you joined as one). */
export function selfAnnouncement(previous: ParticipantInfo | null, next: ParticipantInfo | null, t: Messages): string | null {
  return next?.moderator && previous?.id === next.id && !previous.moderator ? t.youAreNowModerator : null;
}
