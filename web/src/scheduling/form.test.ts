import { describe, expect, it } from 'vitest';
import { addInvitee, bodyOf, emptyForm, formOf, looksLikeEmail, weekdayOf } from './form';
import type { Meeting } from './api';
import { MESSAGES } from '../i18n/messages';

describe('the scheduling form', () => {
  it('starts tomorrow at the next hour, in the given zone', () => {
    const form = emptyForm(new Date(2026, 11, 2, 9, 20), 'Europe/Paris');
    expect([form.date, form.time, form.timeZone, form.days]).toEqual(['2026-12-03', '10:00', 'Europe/Paris', ['TH']]);
  });

  it('knows the weekday of a date', () => {
    expect(['2027-03-22', '2027-03-28'].map(weekdayOf)).toEqual(['MO', 'SU']);
  });

  it('sends a weekly recurrence with its days in order and its end', () => {
    const form = { ...emptyForm(new Date(2027, 2, 21, 9), 'Europe/Paris'), title: ' Point ', repeat: 'weekly' as const };
    form.days = ['WE', 'MO'];
    expect(bodyOf(form, 'fr')).toMatchObject({
      title: 'Point',
      start: '2027-03-22T10:00',
      time_zone: 'Europe/Paris',
      recurrence: { frequency: 'weekly', days: ['MO', 'WE'], count: 10, until: null },
      language: 'fr',
    });
    expect(bodyOf({ ...form, repeat: 'none' }, 'en').recurrence).toBeNull();
    expect(bodyOf({ ...form, repeat: 'monthly', ending: 'until', until: '2027-12-31' }, 'en').recurrence).toEqual({
      frequency: 'monthly',
      interval: 1,
      days: [],
      count: null,
      until: '2027-12-31',
    });
  });

  it('sends an existing room only when one is chosen', () => {
    const form = { ...emptyForm(), room: 'abc-defg-hij' };
    expect(bodyOf(form, 'fr').room).toBeUndefined();
    expect(bodyOf({ ...form, roomChoice: 'existing' }, 'fr').room).toBe('abc-defg-hij');
  });

  it('adds each invitee once, whatever the case', () => {
    const once = addInvitee([], { email: 'Anne@Example.fr', name: 'Anne' });
    expect(addInvitee(once, { email: 'anne@example.FR' })).toEqual([{ email: 'anne@example.fr', name: 'Anne' }]);
    expect(looksLikeEmail('anne@example.fr')).toBe(true);
    expect(looksLikeEmail('anne@example')).toBe(false);
    expect(looksLikeEmail('a b@example.fr')).toBe(false);
  });

  it('fills in from a stored meeting', () => {
    const meeting = {
      id: 'x',
      title: 'Point',
      start: '2027-03-22T10:00',
      time_zone: 'Europe/Paris',
      duration_minutes: 45,
      recurrence: { frequency: 'weekly', interval: 1, days: ['MO'], count: 3, until: null },
      attendees: [{ email: 'a@x.fr', name: null, language: 'en', partstat: 'ACCEPTED' }],
      room: { slug: 'abc-defg-hij', url: 'https://v/abc-defg-hij' },
    } as unknown as Meeting;
    expect(formOf(meeting)).toMatchObject({
      date: '2027-03-22',
      time: '10:00',
      repeat: 'weekly',
      days: ['MO'],
      count: 3,
      invitees: [{ email: 'a@x.fr', name: null, language: 'en', partstat: 'ACCEPTED' }],
    });
    expect(MESSAGES.fr.inviteeAnswer('ACCEPTED')).toBe('A accepté');
    expect(MESSAGES.en.inviteeAnswer('NEEDS-ACTION')).toBe('No answer yet');
  });
});
