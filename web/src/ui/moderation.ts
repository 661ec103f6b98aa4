import type { ModerationAction, ParticipantInfo } from '../room/protocol';

type Role = NonNullable<ParticipantInfo['role']>;
type ModeratorBy = NonNullable<ParticipantInfo['moderator_by']>;

/** What the moderation menu needs to know about a participant. */
export interface ModerationTarget {
  audio: boolean;
  video: boolean;
  screen: boolean;
  moderator: boolean;
  /** Their role in the room, if they hold one. */
  role?: Role | undefined;
  /** Their hand is up. */
  handRaised?: boolean;
}

/** The moderator looking at the menu: their role and why they moderate. */
export interface Moderator {
  role?: Role | undefined;
  moderatorBy?: ModeratorBy | undefined;
}

const RANK: Record<Role, number> = { member: 1, administrator: 2, owner: 3 };
const rank = (role: Role | undefined) => (role ? RANK[role] : 0);

/**
 * Whether the server would let `by` remove `target` (rooms/policy.py decides; this only keeps
 * the menu from offering what would be refused): a stand-in removes nobody with a role, and
 * owners and administrators are removed only by their rank or above.
 */
function mayRemove(by: Moderator, target: ModerationTarget): boolean {
  if (by.moderatorBy === 'interim' && target.role) return false;
  const protectedRole = target.role === 'owner' || target.role === 'administrator';
  return !protectedRole || rank(by.role) >= rank(target.role);
}

/**
 * The actions worth offering on one participant, in menu order: only what would change something
 * (no "Mute" for someone already muted), "Lower hand" first when their hand is up (what a moderator
 * most likely wants then), and "Remove" last, away from the harmless ones.
 */
export function moderationActions(target: ModerationTarget, by: Moderator = {}): ModerationAction[] {
  const actions: ModerationAction[] = [];
  if (target.handRaised) actions.push('lower_hand');
  if (target.audio) actions.push('mute');
  if (target.video) actions.push('camera_off');
  if (target.screen) actions.push('stop_screen');
  if (!target.moderator && by.moderatorBy !== 'interim') actions.push('promote');
  if (mayRemove(by, target)) actions.push('remove');
  return actions;
}

/** Raised hands first, in the order they went up; then everyone else in their given order. */
export function byRaisedHand<T extends { handRaisedAt?: string | null | undefined }>(rows: readonly T[]): T[] {
  const raised = rows.filter((row) => row.handRaisedAt).sort((a, b) => Date.parse(a.handRaisedAt!) - Date.parse(b.handRaisedAt!));
  return [...raised, ...rows.filter((row) => !row.handRaisedAt)];
}
