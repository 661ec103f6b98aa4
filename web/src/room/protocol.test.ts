import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
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

  it('parses a reaction of the set and refuses any other name', () => {
    expect(parseServerMessage('{"type":"reaction","participant_id":"p_a","reaction":"party"}')).toEqual({
      type: 'reaction',
      participant_id: 'p_a',
      reaction: 'party',
    });
    expect(parseServerMessage('{"type":"reaction","participant_id":"p_a","reaction":"<img src=x>"}')).toBeNull();
    expect(parseServerMessage('{"type":"reaction","reaction":"clap"}')).toBeNull();
  });

  it('parses captions.state and drops a null set_by', () => {
    expect(
      parseServerMessage('{"type":"captions.state","captions":{"enabled":false,"language":"fr","set_by":null}}'),
    ).toEqual({ type: 'captions.state', captions: { enabled: false, language: 'fr' } });
  });

  it('reads whether the room is locked on joining, unlocked for older servers', () => {
    const joined = (extra: object) =>
      parseServerMessage(JSON.stringify({ type: 'joined', participant: alice, participants: [], ...extra }));
    expect(joined({ locked: true })).toMatchObject({ locked: true });
    expect(joined({})).toMatchObject({ locked: false });
  });

  it('parses moderated and room.state, dropping a null set_by', () => {
    expect(parseServerMessage('{"type":"moderated","action":"camera_off","by":"p_m"}')).toEqual({
      type: 'moderated',
      action: 'camera_off',
      by: 'p_m',
    });
    expect(parseServerMessage('{"type":"room.state","locked":false,"set_by":null}')).toEqual({
      type: 'room.state',
      locked: false,
    });
  });

  it('parses raised hands and lower_hand', () => {
    expect(parseServerMessage('{"type":"moderated","action":"lower_hand","by":"p_m"}')).toEqual({
      type: 'moderated',
      action: 'lower_hand',
      by: 'p_m',
    });
    const person = { id: 'p_b', name: 'Bob', audio: true, video: false, screen: false, moderator: false, joined_at: '2025-01-01T10:00:00Z' };
    const updated = (extra: object) =>
      parseServerMessage(JSON.stringify({ type: 'participant.updated', participant: { ...person, ...extra } }));
    expect(updated({ hand_raised_at: '2025-01-01T10:01:00Z' })).toMatchObject({
      participant: { hand_raised_at: '2025-01-01T10:01:00Z' },
    });
    expect(updated({ hand_raised_at: null })).toEqual({ type: 'participant.updated', participant: person });
    expect(updated({ hand_raised_at: 5 })).toBeNull();
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

  it('accepts a trickle without candidate, as the server sends the end of candidates', () => {
    // encode() leaves out None fields, so the server's end-of-candidates has no candidate at all.
    expect(parseServerMessage('{"type":"trickle","target":"publisher"}')).toEqual({
      type: 'trickle',
      target: 'publisher',
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
    ['a moderated action a client cannot obey', '{"type":"moderated","action":"remove","by":"p_m"}'],
    ['a moderated without who did it', '{"type":"moderated","action":"mute"}'],
    ['a room state without locked', '{"type":"room.state","set_by":"p_m"}'],
    ['a moderator flag that is not a boolean', JSON.stringify({ type: 'participant.updated', participant: { ...alice, moderator: 'yes' } })],
  ])('returns null for %s', (_, text) => {
    expect(parseServerMessage(text)).toBeNull();
  });
});

describe('lobby messages', () => {
  const waiting = { id: 'w_1', name: 'Bob', identity: 'guest', reason: 'trusted', since: '2026-11-28T10:00:00Z' };

  it('parses lobby.waiting, lobby.knock, lobby.list and lobby.left', () => {
    expect(parseServerMessage('{"type":"lobby.waiting","reply_to":"j","reason":"locked"}')).toEqual({
      type: 'lobby.waiting',
      reply_to: 'j',
      reason: 'locked',
    });
    expect(parseServerMessage(JSON.stringify({ type: 'lobby.knock', waiting }))).toEqual({ type: 'lobby.knock', waiting });
    expect(parseServerMessage(JSON.stringify({ type: 'lobby.list', waiting: [waiting] }))).toMatchObject({
      waiting: [waiting],
    });
    expect(parseServerMessage('{"type":"lobby.left","waiting_id":"w_1","reason":"left"}')).toMatchObject({
      waiting_id: 'w_1',
    });
  });

  it('reads a participant marked as a guest', () => {
    const guest = { ...alice, identity: 'guest' };
    expect(parseServerMessage(JSON.stringify({ type: 'participant.joined', participant: guest }))).toMatchObject({
      participant: { identity: 'guest' },
    });
  });

  it.each([
    ['a knock without a name', JSON.stringify({ type: 'lobby.knock', waiting: { ...waiting, name: 1 } })],
    ['a lobby list that is not a list', '{"type":"lobby.list","waiting":{}}'],
    ['a lobby.left without an id', '{"type":"lobby.left","reason":"left"}'],
  ])('returns null for %s', (_, text) => {
    expect(parseServerMessage(text)).toBeNull();
  });
});

describe('parseServerMessage: chat', () => {
  const chat = { id: 'm_1', participant_id: 'p_a', name: 'Alice', text: '<b>x</b>', sent_at: '2026-12-02T09:00:00Z', earlier: false };

  it('parses the history in joined, none for older servers', () => {
    expect(parseServerMessage(JSON.stringify({ type: 'joined', participant: alice, participants: [], chat: [chat] }))).toMatchObject({
      chat: [chat],
    });
    expect(parseServerMessage(JSON.stringify({ type: 'joined', participant: alice, participants: [] }))).toMatchObject({ chat: [] });
  });

  it('reads whether a message is from an earlier meeting, and refuses a malformed flag', () => {
    const kept = { ...chat, earlier: true };
    expect(parseServerMessage(JSON.stringify({ type: 'chat.message', message: kept }))).toMatchObject({ message: kept });
    expect(parseServerMessage(JSON.stringify({ type: 'chat.message', message: { ...chat, earlier: 'yes' } }))).toBeNull();
  });

  it('parses chat.message and chat.deleted', () => {
    expect(parseServerMessage(JSON.stringify({ type: 'chat.message', reply_to: 3, message: chat }))).toMatchObject({ message: chat });
    expect(parseServerMessage('{"type":"chat.deleted","message_id":"m_1","deleted_by":"p_b"}')).toMatchObject({
      message_id: 'm_1',
      deleted_by: 'p_b',
    });
  });

  it.each([
    ['a message without text', JSON.stringify({ type: 'chat.message', message: { ...chat, text: undefined } })],
    ['a message with a number as text', JSON.stringify({ type: 'chat.message', message: { ...chat, text: 5 } })],
    ['a history that is not a list', JSON.stringify({ type: 'joined', participant: alice, participants: [], chat: {} })],
    ['a deletion without an id', '{"type":"chat.deleted","deleted_by":"p_b"}'],
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

describe('transcription.state', () => {
  it('is understood with or without its details, and joined says whether a transcript is on', () => {
    expect(
      parseServerMessage(
        JSON.stringify({ type: 'transcription.state', active: true, started_at: '2026-12-02T10:00:00Z', started_by: 'p_a' }),
      ),
    ).toMatchObject({ active: true, started_by: 'p_a' });
    expect(parseServerMessage(JSON.stringify({ type: 'transcription.state', active: false }))).toEqual({
      type: 'transcription.state',
      active: false,
    });
    expect(parseServerMessage(JSON.stringify({ type: 'transcription.state', active: 'yes' }))).toBeNull();
  });
});

/** The smallest value a JSON schema accepts: required properties only, first choices. */
function smallest(schema: Record<string, unknown>, definitions: Record<string, Record<string, unknown>>): unknown {
  if (typeof schema.$ref === 'string') return smallest(definitions[schema.$ref.split('/').pop()!]!, definitions);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const choices = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  if (choices) return smallest(choices.find((c) => c.type !== 'null') ?? choices[0]!, definitions);
  switch (schema.type) {
    case 'string':
      return 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
    case 'integer':
    case 'number':
      return Number(schema.minimum ?? 0);
    case 'boolean':
      return false;
    case 'array': {
      const count = Number(schema.minItems ?? 0);
      return Array.from({ length: count }, () => smallest(schema.items as Record<string, unknown>, definitions));
    }
    case 'null':
      return null;
    default: {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const required = (schema.required ?? []) as string[];
      return Object.fromEntries(required.map((name) => [name, smallest(properties[name]!, definitions)]));
    }
  }
}

describe('every server message of the protocol schema', () => {
  // The schema is generated from the server's models (python -m visio.rooms.schema).
  const schema = JSON.parse(readFileSync(new URL('./protocol.schema.json', import.meta.url), 'utf-8')) as {
    definitions: Record<string, Record<string, unknown>>;
  };
  const serverMessages = (schema.definitions.ServerMessage!.oneOf ?? schema.definitions.ServerMessage!.anyOf) as {
    $ref: string;
  }[];
  const examples = serverMessages.map(({ $ref }) => smallest({ $ref }, schema.definitions) as { type: string });

  it('covers the messages the server sends', () => {
    expect(examples.length).toBeGreaterThan(25);
    expect(examples.map((e) => e.type)).toContain('speaking');
  });

  it.each(examples.map((example) => [example.type, example] as const))('understands %s in its smallest form', (_, example) => {
    expect(parseServerMessage(JSON.stringify(example))).not.toBeNull();
  });
});
