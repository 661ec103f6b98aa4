/** A person's calendar (CalDAV) settings (`/api/v1/me/calendar`); the meetings read from it are listed in
 * "My meetings" (`listAgenda` in ../scheduling/api). */
import { request } from '../api/rooms';

export type CalendarSource = 'personal' | 'deployment';

export interface PersonalCalendar {
  url: string;
  username: string;
  updated_at: string;
  checked_at: string | null;
  /** The reason code of the last failure with this calendar, null after a success. */
  failure: string | null;
  failure_message: string | null;
}

export interface CalendarSettings {
  personal_allowed: boolean;
  deployment: boolean;
  personal: PersonalCalendar | null;
  source: CalendarSource | null;
}

export interface CalendarTest {
  ok: boolean;
  source: CalendarSource | null;
  display_name?: string | null;
  reason?: string | null;
  message?: string | null;
}

export interface Meeting {
  uid: string;
  summary: string;
  start: string;
  end: string;
  all_day: boolean;
  time_zone: string | null;
  location: string | null;
  url: string | null;
  /** The room's code when the meeting happens in a Visio room of this server. */
  room: string | null;
  recurrence_id: string | null;
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

export function getCalendar(): Promise<CalendarSettings> {
  return request('/api/v1/me/calendar', { credentials: 'same-origin' });
}

/** Connects (or changes) the person's own calendar; an empty password keeps the stored one. */
export function saveCalendar(
  csrf: string,
  change: { url: string; username: string; password: string },
): Promise<CalendarSettings> {
  const body: Record<string, string> = { url: change.url.trim(), username: change.username.trim() };
  if (change.password) body.password = change.password;
  return send(csrf, 'PUT', '/api/v1/me/calendar', body);
}

export function disconnectCalendar(csrf: string): Promise<unknown> {
  return send(csrf, 'DELETE', '/api/v1/me/calendar');
}

/** The server signs in to the calendar now; it takes up to the server's calendar timeout. */
export function testCalendar(csrf: string): Promise<CalendarTest> {
  return request('/api/v1/me/calendar/test', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } }, 30_000);
}
