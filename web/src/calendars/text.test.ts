import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/rooms';
import { MESSAGES } from '../i18n/messages';
import type { Meeting } from './api';
import { calendarFailureText, errorReason, meetingWhen } from './text';

const meeting = (start: string, end: string, allDay = false): Meeting => ({
  uid: 'u',
  summary: 'Point',
  start,
  end,
  all_day: allDay,
  time_zone: 'Europe/Paris',
  location: null,
  url: null,
  room: 'abc-defg-hij',
  recurrence_id: null,
});

describe('calendarFailureText', () => {
  it('says what to do about each reason, in both languages', () => {
    expect(calendarFailureText(MESSAGES.en, 'unauthorised')).toMatch(/password/);
    expect(calendarFailureText(MESSAGES.fr, 'unauthorised')).toMatch(/mot de passe/);
    expect(calendarFailureText(MESSAGES.en, 'calendar_timeout')).toBe(MESSAGES.en.calendarFailureUnreachable);
    expect(calendarFailureText(MESSAGES.fr, 'refused_address')).toBe(MESSAGES.fr.calendarFailureRefusedAddress);
  });

  it('names an unknown reason rather than hiding it', () => {
    expect(calendarFailureText(MESSAGES.en, 'calendar_bad_response')).toContain('bad_response');
  });

  it('reads the code of an API error, and network otherwise', () => {
    expect(errorReason(new ApiError('calendar_unauthorised', 'x', 502))).toBe('calendar_unauthorised');
    expect(errorReason(new TypeError('fetch failed'))).toBe('network');
  });
});

describe('meetingWhen', () => {
  it('shows local time on both sides of the change from summer time', () => {
    const before = meeting('2026-10-20T10:00:00+02:00', '2026-10-20T11:00:00+02:00');
    const after = meeting('2026-10-27T10:00:00+01:00', '2026-10-27T11:00:00+01:00');
    expect(meetingWhen(before, 'fr', 'Europe/Paris')).toContain('10:00');
    expect(meetingWhen(after, 'fr', 'Europe/Paris')).toContain('10:00');
    expect(meetingWhen(after, 'en', 'UTC')).toContain('09:00');
  });

  it('gives the day only for an all-day event', () => {
    expect(meetingWhen(meeting('2026-10-20T00:00:00+02:00', '2026-10-21T00:00:00+02:00', true), 'en', 'Europe/Paris')).not.toMatch(
      /\d\d:\d\d/,
    );
  });
});
