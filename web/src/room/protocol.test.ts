import { describe, expect, it } from 'vitest';
import { candidateFields, parseServerMessage } from './protocol';

const alice = { id: 'p_a', name: 'Alice', audio: true, video: false, screen: false, joined_at: '2026-11-27T10:00:00Z' };

describe('parseServerMessage', () => {
  it('parses joined and defaults missing ice_servers to none', () => {
    const message = parseServerMessage(JSON.stringify({ type: 'joined', reply_to: 1, participant: alice, participants: [] }));
    expect(message).toMatchObject({ type: 'joined', reply_to: 1, participant: alice, ice_servers: [] });
  });

  it('reads the moderator flag and the subtitles state on joining, with defaults for older servers', () => {
    const captions = { enabled: true, language: 'en', set_by: 'p_a' };
    const joined = parseServerMessage(
      JSON.stringify({ type: 'joined', participant: { ...alice, moderator: true }, participants: [alice], captions }),
    );
    expect(joined).toMatchObject({ participant: { moderator: true }, participants: [{ moderator: false }], captions });
    expect(parseServerMessage(JSON.stringify({ type: 'joined', participant: alice, participants: [] }))).toMatchObject({
      captions: { enabled: false, language: 'auto' },
    });
  });

  it('parses captions.state and drops a null set_by', () => {
    expect(
      parseServerMessage('{"type":"captions.state","captions":{"enabled":false,"language":"fr","set_by":null}}'),
    ).toEqual({ type: 'captions.state', captions: { enabled: false, language: 'fr' } });
  });

  it('parses a caption with its words', () => {
    const caption = {
      type: 'caption',
      participant_id: 'p_b',
      segment_id: 's1',
      kind: 'partial',
      text: 'hello there',
      language: 'en',
      words: [{ text: 'hello', start: 0, end: 0.4 }],
    };
    expect(parseServerMessage(JSON.stringify(caption))).toEqual(caption);
    const { words: _, ...bare } = caption;
    expect(parseServerMessage(JSON.stringify(bare))).toEqual({ ...bare, words: [] });
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
    ['subtitles in an unknown language', '{"type":"captions.state","captions":{"enabled":true,"language":"de"}}'],
    ['a caption of an unknown kind', '{"type":"caption","participant_id":"p","segment_id":"s","kind":"draft","text":"x"}'],
    ['a moderator flag that is not a boolean', JSON.stringify({ type: 'participant.updated', participant: { ...alice, moderator: 'yes' } })],
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
