import { describe, expect, it } from 'vitest';
import { parseServerMessage } from '../room/protocol';

const alice = { id: 'p_a', name: 'Alice', audio: true, video: false, screen: false, joined_at: '2026-11-27T10:00:00Z' };

describe('parseServerMessage: recording', () => {
  it('reads the recording state on joining, not recorded for older servers', () => {
    const recording = { active: true, video: true, started_at: '2026-12-02T09:00:00Z', started_by: 'Alice' };
    expect(parseServerMessage(JSON.stringify({ type: 'joined', participant: alice, participants: [], recording }))).toMatchObject({
      recording,
    });
    expect(parseServerMessage(JSON.stringify({ type: 'joined', participant: alice, participants: [] }))).toMatchObject({
      recording: { active: false, video: false },
    });
  });

  it('parses recording.state started and stopped', () => {
    expect(parseServerMessage('{"type":"recording.state","active":true,"video":false,"started_by":"<b>Bob</b>"}')).toMatchObject({
      active: true,
      video: false,
      started_by: '<b>Bob</b>',
    });
    expect(parseServerMessage('{"type":"recording.state","active":false,"video":false}')).toMatchObject({ active: false });
  });

  it.each([
    ['a state without active', '{"type":"recording.state","video":true}'],
    ['a state with a string for active', '{"type":"recording.state","active":"yes","video":true}'],
    ['a starter that is not text', '{"type":"recording.state","active":true,"video":true,"started_by":5}'],
    ['a joined with a broken recording', JSON.stringify({ type: 'joined', participant: alice, participants: [], recording: true })],
  ])('returns null for %s', (_, text) => {
    expect(parseServerMessage(text)).toBeNull();
  });
});
