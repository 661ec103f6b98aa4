/** Where things fall in time: a turn in a recording, and pieces of text that match a search. */

import type { Recording, TranscriptSummary, TranscriptTurn } from './api';

/**
 * The recording of the same meeting as a transcript, ready to play: one that overlaps it in time
 * (video rather than audio when both exist), or null.
 */
export function recordingFor(transcript: TranscriptSummary, recordings: Recording[]): Recording | null {
  const start = Date.parse(transcript.started_at);
  const end = transcript.ended_at ? Date.parse(transcript.ended_at) : Number.POSITIVE_INFINITY;
  const overlapping = recordings.filter((r) => {
    const from = Date.parse(r.started_at);
    const to = r.ended_at ? Date.parse(r.ended_at) : Number.POSITIVE_INFINITY;
    return from <= end && to >= start && r.status === 'ready';
  });
  return overlapping.find((r) => r.kind === 'video') ?? overlapping[0] ?? null;
}

/**
 * Seconds into the recording at which a turn was said (never before its start): the processed
 * file's time zero is the moment the recording started.
 */
export function seekSeconds(recording: Recording, turn: TranscriptTurn): number {
  return Math.max(0, (Date.parse(turn.started_at) - Date.parse(recording.started_at)) / 1000);
}

/** A turn's time from the start of its transcript, as `m:ss` or `h:mm:ss`. */
export function offsetLabel(transcript: TranscriptSummary, at: string): string {
  const total = Math.max(0, Math.floor((Date.parse(at) - Date.parse(transcript.started_at)) / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** Lower case without accents, so that `reunion` finds `Réunion`. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

export interface Piece {
  text: string;
  match: boolean;
}

/**
 * `text` cut into pieces, those that contain `needle` (case and accents ignored) marked: plain
 * strings for the page to render as text, never markup.
 */
export function highlight(text: string, needle: string): Piece[] {
  const wanted = fold(needle.trim());
  if (!wanted) return [{ text, match: false }];
  // Fold character by character, keeping for each UTF-16 unit of the folded text the index of
  // the character it came from, so that a match maps back to the original.
  const folded: string[] = [];
  const origin: number[] = [];
  Array.from(text).forEach((char, index) => {
    const f = fold(char);
    for (let unit = 0; unit < f.length; unit++) {
      folded.push(f.charAt(unit));
      origin.push(index);
    }
  });
  const chars = Array.from(text);
  const haystack = folded.join('');
  const pieces: Piece[] = [];
  let position = 0;
  let from = haystack.indexOf(wanted);
  while (from !== -1) {
    const start = origin[from]!;
    const end = origin[from + wanted.length - 1]! + 1;
    if (start > position) pieces.push({ text: chars.slice(position, start).join(''), match: false });
    pieces.push({ text: chars.slice(start, end).join(''), match: true });
    position = end;
    from = haystack.indexOf(wanted, from + wanted.length);
  }
  if (position < chars.length) pieces.push({ text: chars.slice(position).join(''), match: false });
  return pieces;
}
