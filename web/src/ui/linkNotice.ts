import type { Messages } from '../i18n/messages';
import type { LinkModes } from '../room/linkAdaptation';

/** Video is paused on one side or both (the notice shows). */
export function audioOnly(modes: LinkModes): boolean {
  return modes.receive === 'audio' || modes.send === 'audio';
}

/**
 * What screen reader users hear when the link adaptation changes modes (the page's polite live
 * region), or null when nothing worth saying happened.
 */
export function linkAnnouncement(previous: LinkModes, next: LinkModes, t: Messages): string | null {
  if (audioOnly(next)) {
    if (audioOnly(previous) && previous.receive === next.receive && previous.send === next.send) return null;
    return `${t.linkAudioOnlyTitle}. ${t.linkAudioOnlyHint(next.receive === 'audio', next.send === 'audio')}`;
  }
  if (audioOnly(previous)) return t.linkRecoveredAnnouncement;
  if (previous.receive === 'full' && next.receive === 'low') return t.linkLowAnnouncement;
  if (previous.receive === 'low' && next.receive === 'full') return t.linkRecoveredAnnouncement;
  return null;
}
