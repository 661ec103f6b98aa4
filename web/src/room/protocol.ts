/**
 * The Visio room protocol, version 1 (docs/protocol.md), on the browser's side.
 *
 * The message types are generated from the server's Pydantic models (src/visio/rooms/protocol.py →
 * protocol.schema.json → protocol.generated.ts) and re-exported here; this module adds what a
 * schema cannot say: names for the protocol's enumerations, constants, and `parseServerMessage`,
 * which checks the fields this client uses in untrusted text and returns null for anything it
 * does not understand.
 */

import type {
  Caption,
  CaptionsInfo,
  ChatMessageInfo,
  ErrorMessage,
  IceCandidate,
  Join,
  Moderate,
  ParticipantInfo,
  React,
  RecordingInfo,
  ServerMessage,
  StreamInfo,
  StreamLayer,
  Trickle,
  WaitingPersonInfo,
} from './protocol.generated';

export type * from './protocol.generated';

export const PROTOCOL_VERSION = 1;

/** The reactions of the protocol (`reaction` messages); `ui/reactions.ts` gives each its emoji. */
export type ReactionName = React['reaction'];
export const REACTION_NAMES: readonly string[] = [
  'thumbs_up',
  'clap',
  'laugh',
  'heart',
  'party',
  'surprised',
] satisfies readonly ReactionName[];

export type Source = StreamInfo['source'];
export type MediaKind = StreamInfo['kind'];
export type Target = Trickle['target'];
export type RequestId = NonNullable<Join['id']>;
/** The language subtitles are recognised in; `auto` lets the recogniser detect it. */
export type CaptionLanguage = CaptionsInfo['language'];
export type CaptionKind = Caption['kind'];
export type Identity = ParticipantInfo['identity'];
/** Why someone waits in the lobby. */
export type WaitReason = WaitingPersonInfo['reason'];
export type ErrorCode = ErrorMessage['code'];
/** A simulcast layer of a received video, or `off` (`subscription.set`). */
export type Layer = StreamLayer['layer'];
/** What a moderator can do to a participant. */
export type ModerationAction = Moderate['action'];
/** The actions that reach their target as `moderated`: turn this off yourself (or, for a hand, it is already down). */
export type ModeratedAction = Extract<ModerationAction, 'mute' | 'camera_off' | 'stop_screen' | 'lower_hand'>;

/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** After `leave`. */
  normal: 1000,
  /** The server shuts down: reconnect later. */
  serverShutdown: 1011,
  /** The room moved to another app server (or this one stops): reconnect at once, to any. */
  serviceRestart: 1012,
  /** The servers cannot place the room yet (their shared state is away): reconnect with backoff. */
  tryAgainLater: 1013,
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

export const isModeratedAction = (action: string): action is ModeratedAction => MODERATED_ACTIONS.includes(action);

export function isParticipant(value: unknown): value is ParticipantInfo {
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

function isWaitingPersonInfo(value: unknown): value is WaitingPersonInfo {
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

export function isChatMessageInfo(value: unknown): value is ChatMessageInfo {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.participant_id) &&
    isString(value.name) &&
    isString(value.text) &&
    isString(value.sent_at) &&
    // Servers before the kept-chat divider did not say `earlier`: read as this meeting's.
    (value.earlier === undefined || typeof value.earlier === 'boolean')
  );
}

function isCaptionWord(value: unknown): boolean {
  return isObject(value) && isString(value.text) && typeof value.start === 'number' && typeof value.end === 'number';
}

/** `recording.state`, or `joined.recording`: whether the meeting is recorded, how and by whom. */
export function isRecordingInfo(value: unknown): value is RecordingInfo {
  return (
    isObject(value) &&
    isBoolean(value.active) &&
    (value.video === undefined || isBoolean(value.video)) &&
    (value.started_at === undefined || isString(value.started_at)) &&
    (value.started_by === undefined || isString(value.started_by))
  );
}

function isCandidate(value: unknown): value is IceCandidate | null {
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

function isStreamDescription(value: unknown): value is StreamInfo {
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

/** One entry of `RTCConfiguration.iceServers`: urls, and a username and credential for TURN. */
function isIceServer(value: unknown): boolean {
  return (
    isObject(value) &&
    (isString(value.urls) || (Array.isArray(value.urls) && value.urls.every(isString))) &&
    (value.username === undefined || isString(value.username)) &&
    (value.credential === undefined || isString(value.credential))
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
        (m.locked === undefined || isBoolean(m.locked)) &&
        (m.start_muted === undefined || isBoolean(m.start_muted)) &&
        (m.chat === undefined || (Array.isArray(m.chat) && m.chat.every(isChatMessageInfo))) &&
        (m.recording === undefined || isRecordingInfo(m.recording)) &&
        (m.transcription === undefined || isTranscriptionInfo(m.transcription)) &&
        (m.resume_token === undefined || isString(m.resume_token))
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
      // No candidate (the server leaves out a null) means the end of candidates.
      return (
        isString(m.target) && TARGETS.includes(m.target) && (m.candidate === undefined || isCandidate(m.candidate))
      );
    case 'moderated':
      return isString(m.action) && isModeratedAction(m.action) && isString(m.by);
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
      return isWaitingPersonInfo(m.waiting);
    case 'lobby.list':
      return Array.isArray(m.waiting) && m.waiting.every(isWaitingPersonInfo);
    case 'lobby.left':
      return isString(m.waiting_id) && isString(m.reason);
    case 'media.interrupted':
    case 'media.reset':
    case 'pong':
      return true;
    case 'reaction':
      return isString(m.participant_id) && isString(m.reaction) && REACTION_NAMES.includes(m.reaction);
    case 'error':
      return isString(m.code) && isBoolean(m.fatal);
    case 'subscription.state':
      return Array.isArray(m.streams) && m.streams.every((s) => isObject(s) && isString(s.mid) && isString(s.layer));
    case 'chat.message':
      return isChatMessageInfo(m.message);
    case 'chat.deleted':
      return isString(m.message_id) && isString(m.deleted_by);
    case 'recording.state':
      return isRecordingInfo(m);
    case 'transcription.state':
      return isTranscriptionInfo(m);
    case 'ice.servers':
      return (
        Array.isArray(m.ice_servers) &&
        m.ice_servers.every(isIceServer) &&
        (m.refresh_seconds === undefined || m.refresh_seconds === null || typeof m.refresh_seconds === 'number')
      );
    case 'resume.token':
      return isString(m.token);
    case 'speaking':
      return isString(m.participant_id) && isBoolean(m.speaking);
    case 'captions.translation':
      return isBoolean(m.enabled);
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
      if (message.start_muted === undefined) message.start_muted = false;
      if (message.chat === undefined) message.chat = [];
      if (message.recording === undefined) message.recording = { active: false, video: false };
      if (message.transcription === undefined) message.transcription = { active: false };
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

function normaliseParticipant(participant: ParticipantInfo): void {
  if (participant.moderator === undefined) participant.moderator = false;
  // "Down" has one spelling: absent.
  if (participant.hand_raised_at === null || participant.hand_raised_at === undefined) delete participant.hand_raised_at;
}

/** Drops a null `set_by` so that "nobody yet" has one spelling. */
function normaliseCaptions(captions: CaptionsInfo): CaptionsInfo {
  const { enabled, language, set_by } = captions;
  return set_by ? { enabled, language, set_by } : { enabled, language };
}

/** Whether the meeting is transcribed: `active`, and since when and by whom when it is. */
function isTranscriptionInfo(value: unknown): boolean {
  return (
    isObject(value) &&
    isBoolean(value.active) &&
    (value.started_at === undefined || value.started_at === null || isString(value.started_at)) &&
    (value.started_by === undefined || value.started_by === null || isString(value.started_by))
  );
}

/** The candidate fields the protocol allows, from a browser's RTCIceCandidate. */
export function candidateFields(candidate: RTCIceCandidateInit): IceCandidate {
  return {
    candidate: candidate.candidate ?? '',
    sdpMid: candidate.sdpMid ?? null,
    sdpMLineIndex: candidate.sdpMLineIndex ?? null,
  };
}
