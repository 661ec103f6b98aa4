/** Sentences for calendar failures, and how a meeting's time reads. */
import { ApiError } from '../api/rooms';
import type { Messages } from '../i18n/messages';
import type { Meeting } from './api';

/** What a calendar failure means for the person, from the reason code the server gives
 * (`calendar_<reason>` on "My meetings", `reason` on a test, the stored `failure`). */
export function calendarFailureText(t: Messages, reason: string): string {
  switch (reason.replace(/^calendar_/, '')) {
    case 'unauthorised':
      return t.calendarFailureUnauthorised;
    case 'forbidden':
      return t.calendarFailureForbidden;
    case 'not_found':
      return t.calendarFailureNotFound;
    case 'not_a_calendar':
      return t.calendarFailureNotACalendar;
    case 'unreachable':
    case 'timeout':
    case 'server_error':
      return t.calendarFailureUnreachable;
    case 'refused_address':
      return t.calendarFailureRefusedAddress;
    case 'invalid_url':
      return t.calendarFailureInvalidUrl;
    case 'password_required':
      return t.calendarFailurePasswordRequired;
    case 'personal_calendars_disabled':
      return t.calendarPersonalDisabled;
    case 'rate_limited':
      return t.tooManyAttempts;
    case 'network':
      return t.roomsErrorNetwork;
    case 'invalid_request':
      return t.calendarFailureInvalidForm;
    default:
      return t.calendarFailureOther(reason);
  }
}

export function errorReason(error: unknown): string {
  return error instanceof ApiError ? error.code : 'network';
}

/** "Tue 13 Oct, 10:00 – 11:00" in the reader's language and time zone. */
export function meetingWhen(
  meeting: Pick<Meeting, 'start' | 'end' | 'all_day'>,
  language: string,
  timeZone?: string,
): string {
  const start = new Date(meeting.start);
  const end = new Date(meeting.end);
  const day = new Intl.DateTimeFormat(language, { weekday: 'short', day: 'numeric', month: 'short', timeZone });
  if (meeting.all_day) return day.format(start);
  const time = new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit', timeZone });
  return `${day.format(start)}, ${time.format(start)} – ${time.format(end)}`;
}
