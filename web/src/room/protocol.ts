/**
 * The messages of the Visio room protocol, version 1 (docs/protocol.md).
 *
 * Client messages are built by this app and typed exactly: the server refuses unknown fields.
 * Server messages are parsed from untrusted text with `parseServerMessage`, which checks the fields
 * this client uses and returns null for anything it does not understand.
 */

export const PROTOCOL_VERSION = 1;

export type Source = 'microphone' | 'camera' | 'screen';
export type MediaKind = 'audio' | 'video';
export type Target = 'publisher' | 'subscriber';
export type RequestId = string | number;
/** The language subtitles are recognised in; `auto` lets the recogniser detect it. */
export type CaptionLanguage = 'fr' | 'en' | 'auto';
export type CaptionKind = 'partial' | 'final';
/** What a moderator can do to a participant. */
export type ModerationAction = 'mute' | 'camera_off' | 'stop_screen' | 'lower_hand' | 'remove' | 'promote';
/** The actions that reach their target as `moderated`: turn this off yourself (or, for a hand, it is already down). */
export type ModeratedAction = Extract<ModerationAction, 'mute' | 'camera_off' | 'stop_screen' | 'lower_hand'>;

export interface Participant {
  id: string;
  name: string;
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** Whether they moderate the meeting (false when an older server leaves it out). */
  moderator: boolean;
  joined_at: string;
  /** `signed_in` through the organisation's provider, or a `guest` (absent from older servers). */
  identity?: Identity;
  /** Their role in the room, if they hold one. */
  role?: string | null;
  /** When they raised their hand (ISO time); absent while it is down. */
  hand_raised_at?: string;
}

export type Identity = 'signed_in' | 'guest';

/** Someone waiting in the lobby, as moderators see them. */
export interface WaitingPerson {
  id: string;
  name: string;
  identity: Identity;
  /** Why they wait: `trusted`, `restricted`, `locked` or `removed`. */
  reason: string;
  since: string;
}

/** The meeting's subtitles: on or off, in which language, and who last changed them. */
export interface CaptionsInfo {
  enabled: boolean;
  language: CaptionLanguage;
  /** The participant id of whoever last turned them on or off; absent until someone does. */
  set_by?: string;
}

export interface CaptionWord {
  text: string;
  start: number;
  end: number;
}

/** Exactly the three fields the protocol allows (RTCIceCandidate.toJSON adds usernameFragment). */
export interface IceCandidateFields {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export interface PublishedTrack {
  mid: string;
  source: Source;
}

export interface StreamDescription {
  mid: string;
  participant_id: string;
  source: Source;
  kind: MediaKind;
}

// ---- client → server ----

export interface JoinMessage {
  type: 'join';
  id?: RequestId;
  version: typeof PROTOCOL_VERSION;
  name: string;
  audio: boolean;
  video: boolean;
  /** The secret of the room-level invitation link the person came through. */
  invitation?: string;
}
export interface PublishMessage {
  type: 'publish';
  id?: RequestId;
  sdp: string;
  tracks: PublishedTrack[];
}
export interface SubscriberAnswerMessage {
  type: 'subscriber.answer';
  id?: RequestId;
  sdp: string;
}
export interface ClientTrickleMessage {
  type: 'trickle';
  id?: RequestId;
  target: Target;
  candidate: IceCandidateFields | null;
}
export interface MediaStateMessage {
  type: 'media.state';
  id?: RequestId;
  audio: boolean;
  video: boolean;
}
export interface IceRestartMessage {
  type: 'ice.restart';
  id?: RequestId;
  target: 'subscriber';
}
export interface CaptionsSetMessage {
  type: 'captions.set';
  id?: RequestId;
  enabled: boolean;
  language: CaptionLanguage;
}
/** Raises or lowers one's hand; everyone else gets `participant.updated` with `hand_raised_at`. */
export interface HandMessage {
  type: 'hand';
  id?: RequestId;
  raised: boolean;
}
export interface ModerateMessage {
  type: 'moderate';
  id?: RequestId;
  action: ModerationAction;
  /** Whom; left out for `mute` and `camera_off`, it means everyone who is not a moderator. */
  participant_id?: string;
}
export interface RoomLockMessage {
  type: 'room.lock';
  id?: RequestId;
  locked: boolean;
}
export interface RoomEndMessage {
  type: 'room.end';
  id?: RequestId;
}
export interface LeaveMessage {
  type: 'leave';
  id?: RequestId;
}
export interface PingMessage {
  type: 'ping';
  id?: RequestId;
}

/** A moderator lets someone waiting in (or turns them away): one `waiting_id`, or `all`. */
export interface LobbyDecisionMessage {
  type: 'lobby.admit' | 'lobby.deny';
  id?: RequestId;
  waiting_id?: string;
  all?: boolean;
}

export type ClientMessage =
  | JoinMessage
  | PublishMessage
  | SubscriberAnswerMessage
  | ClientTrickleMessage
  | MediaStateMessage
  | IceRestartMessage
  | CaptionsSetMessage
  | HandMessage
  | ModerateMessage
  | RoomLockMessage
  | RoomEndMessage
  | LobbyDecisionMessage
  | LeaveMessage
  | PingMessage;

// ---- server → client ----

interface Reply {
  reply_to?: RequestId;
}

export interface ProtocolLimits {
  max_message_bytes: number;
  rate_per_second: number;
  rate_burst: number;
}

export interface JoinedMessage extends Reply {
  type: 'joined';
  participant: Participant;
  participants: Participant[];
  ice_servers: RTCIceServer[];
  limits?: ProtocolLimits;
  /** The meeting's subtitles when you arrive (off when an older server leaves it out). */
  captions: CaptionsInfo;
  /** Whether a moderator locked the room (false when an older server leaves it out). */
  locked: boolean;
}
export interface ParticipantJoinedMessage extends Reply {
  type: 'participant.joined';
  participant: Participant;
}
export interface ParticipantUpdatedMessage extends Reply {
  type: 'participant.updated';
  participant: Participant;
}
export interface ParticipantLeftMessage extends Reply {
  type: 'participant.left';
  participant_id: string;
  reason: 'left' | 'disconnected' | 'removed' | (string & {});
}
export interface PublishAnswerMessage extends Reply {
  type: 'publish.answer';
  sdp: string;
}
export interface SubscriberOfferMessage extends Reply {
  type: 'subscriber.offer';
  sdp: string;
  streams: StreamDescription[];
}
export interface ServerTrickleMessage extends Reply {
  type: 'trickle';
  target: Target;
  candidate: IceCandidateFields | null;
}
export interface MediaInterruptedMessage extends Reply {
  type: 'media.interrupted';
  reason: string;
}
export interface MediaResetMessage extends Reply {
  type: 'media.reset';
  reason: string;
}
/** A moderator turned off one of your sources: turn it off in the UI too. */
export interface ModeratedMessage extends Reply {
  type: 'moderated';
  action: ModeratedAction;
  /** The moderator's participant id. */
  by: string;
}
export interface RoomStateMessage extends Reply {
  type: 'room.state';
  locked: boolean;
  set_by?: string;
}
export interface CaptionsStateMessage extends Reply {
  type: 'captions.state';
  captions: CaptionsInfo;
}
/** Recognised speech from one participant's microphone; partials of a segment are refined until its final. */
export interface CaptionMessage extends Reply {
  type: 'caption';
  participant_id: string;
  segment_id: string;
  kind: CaptionKind;
  text: string;
  language?: string;
  words: CaptionWord[];
}

/** You wait in the lobby until a moderator admits you (`joined`) or not (error `denied`). */
export interface LobbyWaitingMessage extends Reply {
  type: 'lobby.waiting';
  reason: string;
}
export interface LobbyKnockMessage extends Reply {
  type: 'lobby.knock';
  waiting: WaitingPerson;
}
export interface LobbyListMessage extends Reply {
  type: 'lobby.list';
  waiting: WaitingPerson[];
}
export interface LobbyLeftMessage extends Reply {
  type: 'lobby.left';
  waiting_id: string;
  reason: 'admitted' | 'denied' | 'left' | (string & {});
  by?: string;
}

export type ErrorCode =
  | 'invalid_json'
  | 'invalid_message'
  | 'unknown_type'
  | 'message_too_large'
  | 'rate_limited'
  | 'binary_not_supported'
  | 'not_joined'
  | 'already_joined'
  | 'unsupported_version'
  | 'room_not_found'
  | 'room_full'
  | 'out_of_order'
  | 'media_unavailable'
  | 'media_error'
  | 'forbidden'
  | 'participant_not_found'
  | 'room_locked'
  | 'removed'
  | 'meeting_ended'
  | 'captions_unavailable'
  | 'denied'
  | 'in_lobby'
  | 'internal';

export interface ErrorMessage extends Reply {
  type: 'error';
  /** One of `ErrorCode`; kept a string so a newer server's codes still reach the UI. */
  code: ErrorCode | (string & {});
  message: string;
  fatal: boolean;
  details?: { field: string; problem: string }[];
}
export interface PongMessage extends Reply {
  type: 'pong';
}

export type ServerMessage =
  | JoinedMessage
  | ParticipantJoinedMessage
  | ParticipantUpdatedMessage
  | ParticipantLeftMessage
  | PublishAnswerMessage
  | SubscriberOfferMessage
  | ServerTrickleMessage
  | MediaInterruptedMessage
  | MediaResetMessage
  | ModeratedMessage
  | RoomStateMessage
  | CaptionsStateMessage
  | CaptionMessage
  | LobbyWaitingMessage
  | LobbyKnockMessage
  | LobbyListMessage
  | LobbyLeftMessage
  | ErrorMessage
  | PongMessage;

/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** After `leave`. */
  normal: 1000,
  /** The server shuts down: reconnect later. */
  serverShutdown: 1011,
  /** After a fatal `error` frame. */
  fatalError: 4000,
} as const;

// ---- parsing ----

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const SOURCES: readonly string[] = ['microphone', 'camera', 'screen'];
const KINDS: readonly string[] = ['audio', 'video'];
const TARGETS: readonly string[] = ['publisher', 'subscriber'];
const CAPTION_LANGUAGES: readonly string[] = ['fr', 'en', 'auto'];
const CAPTION_KINDS: readonly string[] = ['partial', 'final'];
const MODERATED_ACTIONS: readonly string[] = ['mute', 'camera_off', 'stop_screen', 'lower_hand'];

export function isParticipant(value: unknown): value is Participant {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.name) &&
    isBoolean(value.audio) &&
    isBoolean(value.video) &&
    isBoolean(value.screen) &&
    (value.moderator === undefined || isBoolean(value.moderator)) &&
    (value.hand_raised_at === undefined || value.hand_raised_at === null || isString(value.hand_raised_at)) &&
    isString(value.joined_at)
  );
}

function isWaitingPerson(value: unknown): value is WaitingPerson {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.name) &&
    isString(value.identity) &&
    isString(value.reason) &&
    isString(value.since)
  );
}

function isCaptionsInfo(value: unknown): value is CaptionsInfo {
  return (
    isObject(value) &&
    isBoolean(value.enabled) &&
    isString(value.language) &&
    CAPTION_LANGUAGES.includes(value.language) &&
    (value.set_by === undefined || value.set_by === null || isString(value.set_by))
  );
}

function isCaptionWord(value: unknown): boolean {
  return isObject(value) && isString(value.text) && typeof value.start === 'number' && typeof value.end === 'number';
}

function isCandidate(value: unknown): value is IceCandidateFields | null {
  if (value === null) return true;
  return (
    isObject(value) &&
    isString(value.candidate) &&
    (value.sdpMid === null || value.sdpMid === undefined || isString(value.sdpMid)) &&
    (value.sdpMLineIndex === null ||
      value.sdpMLineIndex === undefined ||
      typeof value.sdpMLineIndex === 'number')
  );
}

function isStreamDescription(value: unknown): value is StreamDescription {
  return (
    isObject(value) &&
    isString(value.mid) &&
    isString(value.participant_id) &&
    isString(value.source) &&
    SOURCES.includes(value.source) &&
    isString(value.kind) &&
    KINDS.includes(value.kind)
  );
}

function isValidServerMessage(m: Json): boolean {
  switch (m.type) {
    case 'joined':
      return (
        isParticipant(m.participant) &&
        Array.isArray(m.participants) &&
        m.participants.every(isParticipant) &&
        (m.ice_servers === undefined || Array.isArray(m.ice_servers)) &&
        (m.captions === undefined || isCaptionsInfo(m.captions)) &&
        (m.locked === undefined || isBoolean(m.locked))
      );
    case 'participant.joined':
    case 'participant.updated':
      return isParticipant(m.participant);
    case 'participant.left':
      return isString(m.participant_id);
    case 'publish.answer':
      return isString(m.sdp);
    case 'subscriber.offer':
      return isString(m.sdp) && Array.isArray(m.streams) && m.streams.every(isStreamDescription);
    case 'trickle':
      return isString(m.target) && TARGETS.includes(m.target) && isCandidate(m.candidate);
    case 'moderated':
      return isString(m.action) && MODERATED_ACTIONS.includes(m.action) && isString(m.by);
    case 'room.state':
      return isBoolean(m.locked) && (m.set_by === undefined || m.set_by === null || isString(m.set_by));
    case 'captions.state':
      return isCaptionsInfo(m.captions);
    case 'caption':
      return (
        isString(m.participant_id) &&
        isString(m.segment_id) &&
        isString(m.kind) &&
        CAPTION_KINDS.includes(m.kind) &&
        isString(m.text) &&
        (m.language === undefined || m.language === null || isString(m.language)) &&
        (m.words === undefined || (Array.isArray(m.words) && m.words.every(isCaptionWord)))
      );
    case 'lobby.waiting':
      return isString(m.reason);
    case 'lobby.knock':
      return isWaitingPerson(m.waiting);
    case 'lobby.list':
      return Array.isArray(m.waiting) && m.waiting.every(isWaitingPerson);
    case 'lobby.left':
      return isString(m.waiting_id) && isString(m.reason);
    case 'media.interrupted':
    case 'media.reset':
    case 'pong':
      return true;
    case 'error':
      return isString(m.code) && isBoolean(m.fatal);
    default:
      return false;
  }
}

/**
 * Parses one WebSocket frame from the server. Returns null when the frame is not a message this
 * client understands (bad JSON, unknown type, missing fields); the caller logs and ignores it.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || !isString(value.type) || !isValidServerMessage(value)) return null;
  const message = value as unknown as ServerMessage;
  switch (message.type) {
    case 'joined':
      if (message.ice_servers === undefined) message.ice_servers = [];
      message.captions = normaliseCaptions(message.captions ?? { enabled: false, language: 'auto' });
      if (message.locked === undefined) message.locked = false;
      normaliseParticipant(message.participant);
      message.participants.forEach(normaliseParticipant);
      break;
    case 'participant.joined':
    case 'participant.updated':
      normaliseParticipant(message.participant);
      break;
    case 'captions.state':
      message.captions = normaliseCaptions(message.captions);
      break;
    case 'room.state':
      if (!message.set_by) delete message.set_by;
      break;
    case 'caption':
      if (message.words === undefined) message.words = [];
      if (message.language === null) delete message.language;
      break;
    case 'error':
      if (!isString(message.message)) message.message = '';
      break;
  }
  return message;
}

function normaliseParticipant(participant: Participant): void {
  if (participant.moderator === undefined) participant.moderator = false;
  // "Down" has one spelling: absent.
  if (participant.hand_raised_at === null || participant.hand_raised_at === undefined) delete participant.hand_raised_at;
}

/** Drops a null `set_by` so that "nobody yet" has one spelling. */
function normaliseCaptions(captions: CaptionsInfo): CaptionsInfo {
  const { enabled, language, set_by } = captions;
  return set_by ? { enabled, language, set_by } : { enabled, language };
}

/** The candidate fields the protocol allows, from a browser's RTCIceCandidate. */
export function candidateFields(candidate: RTCIceCandidateInit): IceCandidateFields {
  return {
    candidate: candidate.candidate ?? '',
    sdpMid: candidate.sdpMid ?? null,
    sdpMLineIndex: candidate.sdpMLineIndex ?? null,
  };
}
