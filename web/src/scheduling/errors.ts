import { ApiError } from '../api/rooms';
import type { Messages } from '../i18n/messages';
import { roomsErrorText } from '../ui/MyRoomsPage';

/** A sentence for a failed meeting call (the server's own words added where they help). */
export function meetingErrorText(t: Messages, error: unknown): string {
  const code = error instanceof ApiError ? error.code : 'network';
  const detail = error instanceof ApiError && error.message ? ` ${t.meetingDetail(error.message)}` : '';
  switch (code) {
    case 'invalid_schedule':
      return t.meetingErrorSchedule + detail;
    case 'invalid_request':
      return t.roomsErrorInvalid + detail;
    case 'too_many_invitees':
      return t.meetingErrorTooManyInvitees;
    case 'duplicate_invitee':
      return t.meetingErrorDuplicate;
    case 'organiser_invited':
      return t.meetingErrorOrganiserInvited;
    case 'organiser_without_email':
      return t.meetingErrorNoEmail;
    case 'meeting_cancelled':
      return t.meetingErrorCancelled;
    case 'meeting_not_found':
      return t.meetingErrorNotFound;
    default:
      return roomsErrorText(t, error);
  }
}
