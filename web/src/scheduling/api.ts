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

export interface Upcoming {
  meeting: Meeting;
  occurrences: { start: string; end: string }[];
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

export async function listMyMeetings(days = 60): Promise<Upcoming[]> {
  return (await request<{ meetings: Upcoming[] }>(`/api/v1/me/meetings?days=${days}`, { credentials: 'same-origin' }))
    .meetings;
}

export async function suggestPeople(query: string, signal?: AbortSignal): Promise<PersonSuggestion[]> {
  const init: RequestInit = { credentials: 'same-origin' };
  if (signal) init.signal = signal;
  return (await request<{ people: PersonSuggestion[] }>(`/api/v1/directory/people?q=${encodeURIComponent(query)}`, init))
    .people;
}
