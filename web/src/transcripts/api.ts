/**
 * The REST API for transcripts (`/api/v1/transcripts`, `/api/v1/rooms/{slug}/transcripts`) and,
 * where the server has them, the room's recordings (`/api/v1/rooms/{slug}/recordings`).
 */

import { ApiError, request } from '../api/rooms';

export type ExportFormat = 'vtt' | 'srt' | 'md' | 'docx' | 'json';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['vtt', 'srt', 'md', 'docx', 'json'];

export interface TranscriptSummary {
  id: number;
  room_slug: string;
  room_name: string | null;
  started_at: string;
  ended_at: string | null;
  started_by: string;
  status: 'active' | 'complete' | 'interrupted';
  language: string;
  turn_count: number;
}

export interface TranscriptTurn {
  id: number;
  participant_id: string;
  speaker: string;
  user_id: number | null;
  started_at: string;
  ended_at: string;
  text: string;
  language: string;
}

export interface TranscriptDetail extends TranscriptSummary {
  turns: TranscriptTurn[];
  /** Whether this person may rename its speakers (owners and administrators of its room). */
  can_rename?: boolean;
}

export interface SnippetFragment {
  text: string;
  match: boolean;
}

export interface SearchHit {
  transcript_id: number;
  room_slug: string;
  room_name: string | null;
  transcript_started_at: string;
  turn_id: number;
  speaker: string;
  started_at: string;
  offset_s: number;
  snippet: SnippetFragment[];
}

/** A recording of a meeting, as the recordings API describes it. */
export interface Recording {
  id: string;
  room_slug: string;
  kind: 'audio' | 'video';
  /** Only a `ready` recording has a file to play or download. */
  status: 'recording' | 'processing' | 'ready' | 'failed';
  started_at: string;
  ended_at: string | null;
  duration_s: number | null;
  size_bytes: number | null;
  media_type: string | null;
}

export async function listTranscripts(slug: string): Promise<TranscriptSummary[]> {
  const body = await request<{ transcripts: TranscriptSummary[] }>(`/api/v1/rooms/${encodeURIComponent(slug)}/transcripts`);
  return body.transcripts;
}

export function getTranscript(id: number): Promise<TranscriptDetail> {
  return request<TranscriptDetail>(`/api/v1/transcripts/${id}`);
}

export async function searchTranscripts(query: string): Promise<SearchHit[]> {
  const body = await request<{ results: SearchHit[] }>(`/api/v1/transcripts/search?q=${encodeURIComponent(query)}`);
  return body.results;
}

export async function deleteTranscript(id: number, csrf: string): Promise<void> {
  await request<unknown>(`/api/v1/transcripts/${id}`, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } });
}

/**
 * One speaker of a transcript: a name and the participants who spoke under it. Two people who
 * joined under the same name are two speakers (told apart by their account, or as guests by
 * their participant); one person's turns are one speaker even across a rejoin when signed in.
 */
export interface Speaker {
  speaker: string;
  participants: string[];
}

/**
 * Renames one speaker of a finished transcript: every turn of `who`'s participants labelled
 * `who.speaker` becomes `name`. Resolves to how many turns changed; refusals are `ApiError`s
 * (422 `invalid_request` with the reason, 403, 404 `speaker_not_found`, 409 `transcript_active`).
 */
export async function renameSpeaker(id: number, who: Speaker, name: string, csrf: string): Promise<number> {
  const body = await request<{ turns: number }>(`/api/v1/transcripts/${id}/speakers/rename`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify({ speaker: who.speaker, name, participants: who.participants }),
  });
  return body.turns;
}

/** Whether `turn` is one of `who`'s. */
export function spokenBy(turn: TranscriptTurn, who: Speaker): boolean {
  return turn.speaker === who.speaker && who.participants.includes(turn.participant_id);
}

/** The transcript once `who` is renamed `to`: what the server now has, without reloading it. */
export function withSpeakerRenamed(transcript: TranscriptDetail, who: Speaker, to: string): TranscriptDetail {
  return {
    ...transcript,
    turns: transcript.turns.map((turn) => (spokenBy(turn, who) ? { ...turn, speaker: to } : turn)),
  };
}

/** The room's recordings; none where this server keeps no recordings (the route is absent). */
export async function listRecordings(slug: string): Promise<Recording[]> {
  try {
    const body = await request<Recording[] | { recordings: Recording[] }>(
      `/api/v1/rooms/${encodeURIComponent(slug)}/recordings`,
    );
    return Array.isArray(body) ? body : body.recordings;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return [];
    throw error;
  }
}

export function exportUrl(id: number, format: ExportFormat): string {
  return `/api/v1/transcripts/${id}/export?format=${format}`;
}

/** The recording's file for a player (served inline, with HTTP Range so that it can seek). */
export function recordingMediaUrl(recording: Recording): string {
  return `/api/v1/recordings/${encodeURIComponent(recording.id)}/media`;
}

/** The recording's file to save (served as an attachment, under a name with room and date). */
export function recordingDownloadUrl(recording: Recording): string {
  return `${recordingMediaUrl(recording)}?download=1`;
}
