/**
 * The embedding API's messages: what a page of an allowed origin sends a meeting in its iframe
 * (commands), and what the meeting answers (events). Both sides validate every message with the
 * functions here; anything else is refused whole, never half read. docs/embedding.md describes
 * them for people who write the embedding side.
 *
 * Every message is a plain object `{visio: 'embed', version: 1, type, ...fields}` with exactly the
 * fields its type lists.
 */

export const EMBED_TAG = 'embed';
export const EMBED_VERSION = 1;
/** The largest message accepted, as JSON: a name of 64 characters fits many times over. */
export const MAX_MESSAGE_BYTES = 4096;
/** The longest display name, in characters (code points), as in the pre-join form. */
export const MAX_DISPLAY_NAME_LENGTH = 64;

export type EmbedCommand =
  /** The library says hello once the iframe has loaded; the meeting answers `ready`. */
  | { type: 'hello' }
  /** Pre-fill the name and join; `skipPreJoin` joins at once when the camera and microphone allow. */
  | { type: 'join'; displayName: string; skipPreJoin: boolean }
  | { type: 'setAudioMuted'; muted: boolean }
  | { type: 'setVideoMuted'; muted: boolean }
  | { type: 'leave' };

export interface EmbedParticipant {
  id: string;
  displayName: string;
}

export type EmbedEvent =
  | { type: 'ready'; room: string }
  /** In the meeting (again, with a new id, after a reconnection); `participants` are the others. */
  | { type: 'joined'; participantId: string; participants: EmbedParticipant[]; audioMuted: boolean; videoMuted: boolean }
  | ({ type: 'participantJoined' } & EmbedParticipant)
  | ({ type: 'participantLeft' } & EmbedParticipant)
  | { type: 'audioMutedChanged'; muted: boolean }
  | { type: 'videoMutedChanged'; muted: boolean }
  /** The person left (the API's `leave` or Visio's own button). */
  | { type: 'left' }
  /** A moderator ended the meeting for everyone. */
  | { type: 'ended' }
  | { type: 'error'; code: string; message: string };

export type EmbedCommandType = EmbedCommand['type'];
export type EmbedEventType = EmbedEvent['type'];

/** A message as it travels: the command or event with the tag and the version. */
export type Envelope<T> = T & { visio: typeof EMBED_TAG; version: typeof EMBED_VERSION };

export type Parsed<T> = { ok: true; message: T } | { ok: false; code: 'invalid_message' | 'unsupported_version'; reason: string };

type FieldKind = 'string' | 'boolean' | 'participants';

const COMMAND_FIELDS: Record<EmbedCommandType, Record<string, FieldKind>> = {
  hello: {},
  join: { displayName: 'string', skipPreJoin: 'boolean' },
  setAudioMuted: { muted: 'boolean' },
  setVideoMuted: { muted: 'boolean' },
  leave: {},
};

const EVENT_FIELDS: Record<EmbedEventType, Record<string, FieldKind>> = {
  ready: { room: 'string' },
  joined: { participantId: 'string', participants: 'participants', audioMuted: 'boolean', videoMuted: 'boolean' },
  participantJoined: { id: 'string', displayName: 'string' },
  participantLeft: { id: 'string', displayName: 'string' },
  audioMutedChanged: { muted: 'boolean' },
  videoMutedChanged: { muted: 'boolean' },
  left: {},
  ended: {},
  error: { code: 'string', message: 'string' },
};

/** Fields a command may leave out, with their value then. */
const COMMAND_DEFAULTS: Partial<Record<EmbedCommandType, Record<string, unknown>>> = {
  join: { skipPreJoin: false },
};

/** The longest string field accepted (names are checked more strictly by `checkDisplayName`). */
const MAX_STRING_LENGTH = 512;
const MAX_PARTICIPANTS = 1000;

/** Whether `data` looks like one of ours (right tag), whatever else is wrong with it. */
export function isEmbedMessage(data: unknown): boolean {
  return isPlainObject(data) && data.visio === EMBED_TAG;
}

export function parseCommand(data: unknown): Parsed<EmbedCommand> {
  return parse(data, COMMAND_FIELDS, COMMAND_DEFAULTS) as Parsed<EmbedCommand>;
}

export function parseEvent(data: unknown): Parsed<EmbedEvent> {
  return parse(data, EVENT_FIELDS, {}) as Parsed<EmbedEvent>;
}

export function envelope<T extends EmbedCommand | EmbedEvent>(message: T): Envelope<T> {
  return { visio: EMBED_TAG, version: EMBED_VERSION, ...message };
}

/**
 * The name to join under, or why it cannot be one: the pre-join form's rules (control characters
 * dropped, trimmed, 1 to 64 characters) and the server's (no lone surrogates, no invisible
 * formatting such as bidi overrides or zero-width characters, no line separators).
 */
export function checkDisplayName(value: string): { ok: true; name: string } | { ok: false; reason: string } {
  const name = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().normalize('NFC');
  if (!name) return { ok: false, reason: 'the display name is empty' };
  if ([...name].length > MAX_DISPLAY_NAME_LENGTH) {
    return { ok: false, reason: `the display name is longer than ${MAX_DISPLAY_NAME_LENGTH} characters` };
  }
  if (/\p{Cs}/u.test(name)) return { ok: false, reason: 'the display name is not valid Unicode (a lone surrogate)' };
  // A zero-width joiner is left to the server, which accepts it inside emoji sequences only.
  if (/[\p{Zl}\p{Zp}]|(?!\u200d)\p{Cf}/u.test(name)) {
    return { ok: false, reason: 'the display name holds invisible formatting characters or line separators' };
  }
  if (/[\ufdd0-\ufdef\ufffe\uffff]/u.test(name)) return { ok: false, reason: 'the display name holds Unicode noncharacters' };
  return { ok: true, name };
}

function parse(
  data: unknown,
  schema: Record<string, Record<string, FieldKind>>,
  defaults: Record<string, Record<string, unknown> | undefined>,
): Parsed<{ type: string }> {
  const invalid = (reason: string): Parsed<never> => ({ ok: false, code: 'invalid_message', reason });
  if (!isPlainObject(data)) return invalid('a message must be a plain object');
  const size = jsonSize(data);
  if (size === null) return invalid('a message must be plain JSON data');
  if (size > MAX_MESSAGE_BYTES) return invalid(`a message must not exceed ${MAX_MESSAGE_BYTES} bytes`);
  if (data.visio !== EMBED_TAG) return invalid(`"visio" must be "${EMBED_TAG}"`);
  if (data.version !== EMBED_VERSION) {
    return { ok: false, code: 'unsupported_version', reason: `"version" must be ${EMBED_VERSION}` };
  }
  const type = data.type;
  if (typeof type !== 'string' || !Object.hasOwn(schema, type)) {
    return invalid(`unknown type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : type)}`);
  }
  const fields = schema[type] ?? {};
  const message: Record<string, unknown> = { type, ...defaults[type] };
  for (const key of Object.keys(data)) {
    if (key !== 'visio' && key !== 'version' && key !== 'type' && !Object.hasOwn(fields, key)) {
      return invalid(`"${type}" has no field ${JSON.stringify(key.slice(0, 40))}`);
    }
  }
  for (const [key, kind] of Object.entries(fields)) {
    if (!Object.hasOwn(data, key)) {
      if (Object.hasOwn(message, key)) continue;
      return invalid(`"${type}" needs the field "${key}"`);
    }
    const problem = checkField(data[key], kind);
    if (problem) return invalid(`"${type}.${key}" ${problem}`);
    message[key] = data[key];
  }
  return { ok: true, message: message as { type: string } };
}

function checkField(value: unknown, kind: FieldKind): string | null {
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'string':
      return typeof value === 'string' && value.length <= MAX_STRING_LENGTH ? null : `must be a string of at most ${MAX_STRING_LENGTH} characters`;
    case 'participants':
      if (!Array.isArray(value) || value.length > MAX_PARTICIPANTS) return 'must be a list of participants';
      return value.every(
        (item) =>
          isPlainObject(item) &&
          Object.keys(item).length === 2 &&
          typeof item.id === 'string' &&
          typeof item.displayName === 'string',
      )
        ? null
        : 'must hold {id, displayName} objects';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The size of `value` as UTF-8 JSON, or null when it is not plain JSON data (a cycle, a BigInt). */
function jsonSize(value: unknown): number | null {
  try {
    return new TextEncoder().encode(JSON.stringify(value)).length;
  } catch {
    return null;
  }
}
