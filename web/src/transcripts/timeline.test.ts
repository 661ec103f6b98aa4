import { describe, expect, it } from 'vitest';
import type { Recording, TranscriptSummary, TranscriptTurn } from './api';
import { highlight, offsetLabel, recordingFor, seekSeconds } from './timeline';

const transcript: TranscriptSummary = {
  id: 1,
  room_slug: 'abc-defg-hij',
  room_name: null,
  started_at: '2026-12-02T10:00:00Z',
  ended_at: '2026-12-02T11:00:00Z',
  started_by: 'x',
  status: 'complete',
  language: 'fr',
  turn_count: 1,
};

function recording(kind: 'audio' | 'video', started_at: string, ended_at: string | null): Recording {
  return {
    id: kind,
    room_slug: 'abc-defg-hij',
    kind,
    status: 'ready',
    started_at,
    ended_at,
    duration_s: null,
    size_bytes: null,
    media_type: kind === 'video' ? 'video/webm' : 'audio/ogg',
  };
}

const turn = { started_at: '2026-12-02T10:05:30Z' } as TranscriptTurn;

describe('timeline', () => {
  it('finds the recording of the same meeting, video first', () => {
    const audio = recording('audio', '2026-12-02T09:59:00Z', '2026-12-02T11:00:00Z');
    const video = recording('video', '2026-12-02T10:01:00Z', null);
    const earlier = recording('video', '2026-12-01T09:00:00Z', '2026-12-01T10:00:00Z');
    expect(recordingFor(transcript, [earlier, audio, video])).toBe(video);
    expect(recordingFor(transcript, [earlier, audio])).toBe(audio);
    expect(recordingFor(transcript, [earlier])).toBeNull();
  });

  it('offers only a recording that is ready to play', () => {
    const audio = recording('audio', '2026-12-02T09:59:00Z', '2026-12-02T11:00:00Z');
    const video = { ...recording('video', '2026-12-02T10:01:00Z', null), status: 'processing' as const };
    expect(recordingFor(transcript, [video, audio])).toBe(audio);
    expect(recordingFor(transcript, [video, { ...audio, status: 'failed' }])).toBeNull();
  });

  it('seeks to the moment a turn was said, from the recording start', () => {
    expect(seekSeconds(recording('audio', '2026-12-02T10:00:00Z', null), turn)).toBe(330);
    expect(seekSeconds(recording('audio', '2026-12-02T10:06:00Z', null), turn)).toBe(0);
    expect(offsetLabel(transcript, turn.started_at)).toBe('5:30');
    expect(offsetLabel(transcript, '2026-12-02T11:02:03Z')).toBe('1:02:03');
  });

  it('marks matches ignoring case and accents, as plain text', () => {
    expect(highlight('La Réunion et la reunion', 'reunion')).toEqual([
      { text: 'La ', match: false },
      { text: 'Réunion', match: true },
      { text: ' et la ', match: false },
      { text: 'reunion', match: true },
    ]);
    expect(highlight('<b>x</b>', '<b>')).toEqual([
      { text: '<b>', match: true },
      { text: 'x</b>', match: false },
    ]);
    expect(highlight('rien', '')).toEqual([{ text: 'rien', match: false }]);
    expect(highlight('👩‍💻 ok', 'ok')).toEqual([
      { text: '👩‍💻 ', match: false },
      { text: 'ok', match: true },
    ]);
  });
});
