/** Scheduled meetings and invitee suggestions (`/api/v1/meetings`, `/api/v1/directory/people`). */
import { request } from '../api/rooms';

export type Frequency = 'daily' | 'weekly' | 'monthly';
export type Weekday = 'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU';
export const WEEKDAYS: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

export interface Recurrence {
  frequency: Frequency;
  interval: number;
  days: Weekday[];
  count: number | null;
  until: string | null;
}

export interface Invitee {
  email: string;
  name?: string | null;
  language?: 'fr' | 'en' | null;
  partstat?: string;
}

export interface MeetingBody {
  title: string;
  start: string;
  time_zone: string;
  duration_minutes: number;
  recurrence: Recurrence | null;
  attendees: Invitee[];
  language: 'fr' | 'en';
  room?: string;
}

export interface Meeting {
  id: string;
  title: string;
  start: string;
  time_zone: string;
  duration_minutes: number;
  recurrence: Recurrence | null;
  attendees: Invitee[];
  room: { slug: string; url: string };
  organiser_name: string;
  organiser_email: string | null;
  sequence: number;
  status: string;
  language: string;
  can_edit: boolean;
}

/** One occurrence in "My meetings": scheduled in Visio, or read from the person's calendar. */
export interface AgendaMeeting {
  uid: string;
  title: string;
  /** In the zone asked for, with its offset. */
  start: string;
  end: string;
  all_day: boolean;
  room: string | null;
  room_url: string | null;
  source: 'visio' | 'calendar';
  /** The person's calendar holds it too (listed once all the same). */
  in_calendar: boolean;
  cancelled: boolean;
  /** The scheduled meeting's id (Visio's meetings only). */
  meeting_id: string | null;
  can_edit: boolean;
  recurring: boolean;
  organiser: string | null;
  invitees: number | null;
}

export interface Agenda {
  time_zone: string;
  /** `failed`: the calendar could not be read (`reason`), only Visio's meetings are listed. */
  calendar: { status: 'none' | 'ok' | 'failed'; reason: string | null; message: string | null };
  meetings: AgendaMeeting[];
}

export interface PersonSuggestion {
  email: string;
  name: string;
}

function send<T>(csrf: string, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'X-CSRF-Token': csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return request<T>(path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
}

const meetingPath = (id: string) => `/api/v1/meetings/${encodeURIComponent(id)}`;

export function scheduleMeeting(csrf: string, body: MeetingBody): Promise<Meeting> {
  return send(csrf, 'POST', '/api/v1/meetings', body);
}

export function changeMeeting(csrf: string, id: string, body: MeetingBody): Promise<Meeting> {
  const { room: _room, ...change } = body;
  return send(csrf, 'PUT', meetingPath(id), change);
}

export function cancelMeeting(csrf: string, id: string): Promise<unknown> {
  return send(csrf, 'DELETE', meetingPath(id));
}

export function getMeeting(id: string): Promise<Meeting> {
  return request(meetingPath(id), { credentials: 'same-origin' });
}

/** "My meetings": Visio's and the calendar's, merged by the server, times in `timeZone`. The server
 * may read the calendar server: it takes up to the server's calendar timeout. */
export function listAgenda(timeZone: string, days = 60): Promise<Agenda> {
  const query = new URLSearchParams({ days: String(days), tz: timeZone });
  return request(`/api/v1/me/agenda?${query.toString()}`, { credentials: 'same-origin' }, 30_000);
}

export async function suggestPeople(query: string, signal?: AbortSignal): Promise<PersonSuggestion[]> {
  const init: RequestInit = { credentials: 'same-origin' };
  if (signal) init.signal = signal;
  return (await request<{ people: PersonSuggestion[] }>(`/api/v1/directory/people?q=${encodeURIComponent(query)}`, init))
    .people;
}
