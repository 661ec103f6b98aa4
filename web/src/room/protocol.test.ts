import { describe, expect, it } from 'vitest';
import { candidateFields, parseServerMessage } from './protocol';

const alice = { id: 'p_a', name: 'Alice', audio: true, video: false, screen: false, joined_at: '2026-11-27T10:00:00Z' };

describe('parseServerMessage', () => {
  it('parses joined and defaults missing ice_servers to none', () => {
    const message = parseServerMessage(JSON.stringify({ type: 'joined', reply_to: 1, participant: alice, participants: [] }));
    expect(message).toMatchObject({ type: 'joined', reply_to: 1, participant: alice, ice_servers: [] });
  });

  it('parses a subscriber offer with its streams', () => {
    const streams = [{ mid: '0', participant_id: 'p_b', source: 'microphone', kind: 'audio' }];
    expect(parseServerMessage(JSON.stringify({ type: 'subscriber.offer', sdp: 'v=0', streams }))).toEqual({
      type: 'subscriber.offer',
      sdp: 'v=0',
      streams,
    });
  });

  it('accepts a null trickle candidate (end of candidates)', () => {
    expect(parseServerMessage('{"type":"trickle","target":"subscriber","candidate":null}')).toEqual({
      type: 'trickle',
      target: 'subscriber',
      candidate: null,
    });
  });

  it('parses errors and keeps unknown codes', () => {
    expect(parseServerMessage('{"type":"error","code":"room_full","message":"full","fatal":true}')).toMatchObject({
      code: 'room_full',
      fatal: true,
    });
    expect(parseServerMessage('{"type":"error","code":"new_code","fatal":false}')).toMatchObject({ message: '' });
  });

  it.each([
    ['not JSON', 'nope'],
    ['an array', '[1]'],
    ['an unknown type', '{"type":"surprise"}'],
    ['a participant without a name', JSON.stringify({ type: 'participant.joined', participant: { ...alice, name: 3 } })],
    ['a stream with an unknown source', '{"type":"subscriber.offer","sdp":"v=0","streams":[{"mid":"0","participant_id":"p","source":"radio","kind":"audio"}]}'],
    ['a trickle for an unknown target', '{"type":"trickle","target":"both","candidate":null}'],
  ])('returns null for %s', (_, text) => {
    expect(parseServerMessage(text)).toBeNull();
  });
});

describe('candidateFields', () => {
  it('keeps only the three fields the protocol allows', () => {
    const init = { candidate: 'candidate:1 1 udp 1 127.0.0.2 5000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abc' };
    expect(candidateFields(init)).toEqual({ candidate: init.candidate, sdpMid: '0', sdpMLineIndex: 0 });
  });
});
