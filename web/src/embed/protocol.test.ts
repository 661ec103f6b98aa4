import { describe, expect, it } from 'vitest';
import { checkDisplayName, envelope, MAX_MESSAGE_BYTES, parseCommand, parseEvent, type EmbedEvent } from './protocol';

const command = (fields: Record<string, unknown>) => ({ visio: 'embed', version: 1, ...fields });

describe('embed commands', () => {
  it('accepts each command with exactly its fields', () => {
    expect(parseCommand(command({ type: 'join', displayName: 'Camille', skipPreJoin: true }))).toEqual({
      ok: true,
      message: { type: 'join', displayName: 'Camille', skipPreJoin: true },
    });
    expect(parseCommand(command({ type: 'setAudioMuted', muted: true }))).toEqual({
      ok: true,
      message: { type: 'setAudioMuted', muted: true },
    });
    expect(parseCommand(command({ type: 'setVideoMuted', muted: false })).ok).toBe(true);
    expect(parseCommand(command({ type: 'leave' }))).toEqual({ ok: true, message: { type: 'leave' } });
    expect(parseCommand(command({ type: 'hello' })).ok).toBe(true);
  });

  it('fills in the optional skipPreJoin as false', () => {
    expect(parseCommand(command({ type: 'join', displayName: 'Camille' }))).toEqual({
      ok: true,
      message: { type: 'join', displayName: 'Camille', skipPreJoin: false },
    });
  });

  it.each([
    ['a string', 'leave'],
    ['null', null],
    ['an array', [command({ type: 'leave' })]],
    ['no tag', { version: 1, type: 'leave' }],
    ['another tag', { visio: 'other', version: 1, type: 'leave' }],
    ['an unknown type', command({ type: 'endMeeting' })],
    ['a type that is not a string', command({ type: 7 })],
    ['a prototype name as type', command({ type: 'constructor' })],
    ['an extra field', command({ type: 'leave', everyone: true })],
    ['a missing field', command({ type: 'setAudioMuted' })],
    ['a string for a boolean', command({ type: 'setAudioMuted', muted: 'true' })],
    ['a number for a boolean', command({ type: 'setVideoMuted', muted: 1 })],
    ['an object for a name', command({ type: 'join', displayName: { toString: 'x' } })],
    ['a class instance', Object.assign(new (class Message {})(), command({ type: 'leave' }))],
    ['a BigInt', command({ type: 'setAudioMuted', muted: 1n })],
  ])('refuses %s', (_, data) => {
    const parsed = parseCommand(data);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.code).toBe('invalid_message');
  });

  it('refuses another version with its own code', () => {
    const parsed = parseCommand({ visio: 'embed', version: 2, type: 'leave' });
    expect(parsed).toMatchObject({ ok: false, code: 'unsupported_version' });
  });

  it('refuses a message over the size cap before looking further', () => {
    const big = parseCommand(command({ type: 'join', displayName: 'x'.repeat(MAX_MESSAGE_BYTES) }));
    expect(big).toMatchObject({ ok: false, code: 'invalid_message' });
    if (!big.ok) expect(big.reason).toContain(`${MAX_MESSAGE_BYTES} bytes`);
  });

  it('refuses a cyclic object without throwing', () => {
    const cyclic: Record<string, unknown> = command({ type: 'leave' });
    cyclic.self = cyclic;
    expect(parseCommand(cyclic).ok).toBe(false);
  });
});

describe('embed events', () => {
  it('round-trips every event the meeting sends', () => {
    const events: EmbedEvent[] = [
      { type: 'ready', room: 'abc-defg-hij' },
      { type: 'joined', participantId: 'p1', participants: [{ id: 'p2', displayName: 'Bob' }], audioMuted: false, videoMuted: true },
      { type: 'participantJoined', id: 'p2', displayName: 'Bob' },
      { type: 'participantLeft', id: 'p2', displayName: 'Bob' },
      { type: 'audioMutedChanged', muted: true },
      { type: 'videoMutedChanged', muted: false },
      { type: 'left' },
      { type: 'ended' },
      { type: 'error', code: 'invalid_name', message: 'the display name is empty' },
    ];
    for (const event of events) expect(parseEvent(envelope(event))).toEqual({ ok: true, message: event });
  });

  it('refuses a participant list with odd entries', () => {
    const joined = (participants: unknown) =>
      parseEvent(command({ type: 'joined', participantId: 'p1', participants, audioMuted: false, videoMuted: false }));
    expect(joined([{ id: 'p2' }]).ok).toBe(false);
    expect(joined([{ id: 'p2', displayName: 'Bob', html: '<b>' }]).ok).toBe(false);
    expect(joined('p2').ok).toBe(false);
  });

  it('does not take a command for an event, or an event for a command', () => {
    expect(parseEvent(command({ type: 'leave' })).ok).toBe(false);
    expect(parseCommand(command({ type: 'left' })).ok).toBe(false);
  });
});

describe('display names', () => {
  it('accepts any script and emoji, trimmed and NFC-normalised', () => {
    expect(checkDisplayName('  Zoë Ångström  ')).toEqual({ ok: true, name: 'Zoë Ångström' });
    expect(checkDisplayName('مريم')).toEqual({ ok: true, name: 'مريم' });
    expect(checkDisplayName('李雷 👩‍💻')).toEqual({ ok: true, name: '李雷 👩‍💻' });
    expect(checkDisplayName('Zoe\u0308')).toEqual({ ok: true, name: 'Zoë' });
  });

  it('drops control characters as the pre-join form does', () => {
    expect(checkDisplayName('Ca\u0007mille\n')).toEqual({ ok: true, name: 'Camille' });
  });

  it.each([
    ['empty', '   '],
    ['only control characters', '\u0000\u0001'],
    ['65 characters', 'é'.repeat(65)],
    ['a lone surrogate', 'Bob\ud800'],
    ['a right-to-left override', 'Bob\u202egnp.exe'],
    ['a zero-width space', 'Bo\u200bb'],
    ['a line separator', 'Bob\u2028Alice'],
    ['a noncharacter', 'Bob\ufdd0'],
  ])('refuses a name that is %s', (_, name) => {
    expect(checkDisplayName(name).ok).toBe(false);
  });

  it('counts characters, not UTF-16 units: 64 emoji fit', () => {
    expect(checkDisplayName('😀'.repeat(64)).ok).toBe(true);
  });
});
