/** The scheduling form's state and what it sends: pure functions, tested on their own. */
import { WEEKDAYS, type Frequency, type Invitee, type Meeting, type MeetingBody, type Weekday } from './api';

export type Repeat = 'none' | Frequency;
export type Ending = 'count' | 'until';

export interface MeetingForm {
  title: string;
  date: string;
  time: string;
  durationMinutes: number;
  timeZone: string;
  repeat: Repeat;
  days: Weekday[];
  ending: Ending;
  count: number;
  until: string;
  invitees: Invitee[];
  roomChoice: 'new' | 'existing';
  room: string;
}

/** The browser's IANA time zone (`Europe/Paris`), or UTC when it does not say. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Every zone the browser knows, the chosen one included. */
export function timeZones(selected: string): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = ['UTC', 'Europe/Paris'];
  }
  return zones.includes(selected) ? zones : [selected, ...zones];
}

/** The weekday code of a `YYYY-MM-DD` date. */
export function weekdayOf(date: string): Weekday {
  const day = new Date(`${date}T12:00:00Z`).getUTCDay(); // 0 = Sunday
  return WEEKDAYS[(day + 6) % 7] ?? 'MO';
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** A new form: tomorrow at the next round hour, one hour, in the browser's zone. */
export function emptyForm(now: Date = new Date(), zone: string = browserTimeZone()): MeetingForm {
  const tomorrow = new Date(now.getTime() + 24 * 3600 * 1000);
  const date = `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}`;
  return {
    title: '',
    date,
    time: `${pad(Math.min(now.getHours() + 1, 23))}:00`,
    durationMinutes: 60,
    timeZone: zone,
    repeat: 'none',
    days: [weekdayOf(date)],
    ending: 'count',
    count: 10,
    until: '',
    invitees: [],
    roomChoice: 'new',
    room: '',
  };
}

/** The form filled in with a stored meeting, to change it. */
export function formOf(meeting: Meeting): MeetingForm {
  const [date = '', time = ''] = meeting.start.split('T');
  const r = meeting.recurrence;
  return {
    title: meeting.title,
    date,
    time,
    durationMinutes: meeting.duration_minutes,
    timeZone: meeting.time_zone,
    repeat: r ? r.frequency : 'none',
    days: r && r.days.length ? r.days : [weekdayOf(date)],
    ending: r?.until ? 'until' : 'count',
    count: r?.count ?? 10,
    until: r?.until ?? '',
    invitees: meeting.attendees.map(({ email, name, language, partstat }) => ({ email, name: name ?? null, language: language ?? null, partstat })),
    roomChoice: 'existing',
    room: meeting.room.slug,
  };
}

/** What the form sends to the server. */
export function bodyOf(form: MeetingForm, language: 'fr' | 'en'): MeetingBody {
  const body: MeetingBody = {
    title: form.title.trim(),
    start: `${form.date}T${form.time}`,
    time_zone: form.timeZone,
    duration_minutes: form.durationMinutes,
    recurrence:
      form.repeat === 'none'
        ? null
        : {
            frequency: form.repeat,
            interval: 1,
            days: form.repeat === 'weekly' ? WEEKDAYS.filter((d) => form.days.includes(d)) : [],
            count: form.ending === 'count' ? form.count : null,
            until: form.ending === 'until' ? form.until : null,
          },
    attendees: form.invitees.map((i) => ({ email: i.email, name: i.name || null, language: i.language ?? null })),
    language,
  };
  if (form.roomChoice === 'existing' && form.room) body.room = form.room;
  return body;
}

const EMAIL = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/;

/** Whether this looks like an e-mail address (the server checks it for real). */
export function looksLikeEmail(text: string): boolean {
  return EMAIL.test(text.trim());
}

/** Adds an invitee unless already there (addresses compared without case). */
export function addInvitee(invitees: Invitee[], invitee: Invitee): Invitee[] {
  const email = invitee.email.trim().toLowerCase();
  if (invitees.some((i) => i.email.toLowerCase() === email)) return invitees;
  return [...invitees, { ...invitee, email }];
}
