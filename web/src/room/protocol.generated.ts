/**
 * The room protocol's message types, generated from src/room/protocol.schema.json by
 * `npm run protocol`: do not edit. The schema comes from src/visio/rooms/protocol.py
 * (`python -m visio.rooms.schema`); protocol.ts re-exports these types with the parsing code.
 */

/**
 * The Visio room protocol, version 1. Generated from src/visio/rooms/protocol.py by `python -m visio.rooms.schema`: do not edit.
 */
export type RoomProtocolMessage = ClientMessage | ServerMessage;
/**
 * Every message a browser may send.
 */
export type ClientMessage =
  | Join
  | Publish
  | SubscriberAnswer
  | Trickle
  | MediaState
  | Hand
  | IceRestart
  | CaptionsSet
  | CaptionsTranslation
  | Moderate
  | RoomLock
  | RoomEnd
  | LobbyAdmit
  | LobbyDeny
  | Leave
  | Ping
  | SubscriptionSet
  | ChatSend
  | ChatDelete
  | React
  | RecordingStart
  | RecordingStop
  | TranscriptionStart
  | TranscriptionStop
  | IceServersRequest
  | MediaPathReport;
/**
 * Every message the server sends.
 */
export type ServerMessage =
  | Joined
  | ParticipantJoined
  | ParticipantUpdated
  | ParticipantLeft
  | PublishAnswer
  | SubscriberOffer
  | ServerTrickle
  | MediaInterrupted
  | MediaReset
  | Moderated
  | RoomState
  | CaptionsState
  | CaptionsTranslationState
  | Caption
  | LobbyWaiting
  | LobbyKnock
  | LobbyList
  | LobbyLeft
  | ErrorMessage
  | Pong
  | SubscriptionState
  | Speaking
  | ChatMessage
  | ChatDeleted
  | Reaction
  | RecordingState
  | TranscriptionState
  | IceServers
  | ResumeToken;

export interface Join {
  id?: string | number | null;
  type: 'join';
  version: number;
  name: string;
  audio: boolean;
  video: boolean;
  invitation?: string | null;
  resume?: string | null;
  shared_device?: boolean;
}
export interface Publish {
  id?: string | number | null;
  type: 'publish';
  sdp: string;
  /**
   * @maxItems 3
   */
  tracks: TrackInfo[];
}
export interface TrackInfo {
  mid: string;
  source: 'microphone' | 'camera' | 'screen';
}
export interface SubscriberAnswer {
  id?: string | number | null;
  type: 'subscriber.answer';
  sdp: string;
}
export interface Trickle {
  id?: string | number | null;
  type: 'trickle';
  target: 'publisher' | 'subscriber';
  candidate: IceCandidate | null;
}
export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}
export interface MediaState {
  id?: string | number | null;
  type: 'media.state';
  audio: boolean;
  video: boolean;
}
export interface Hand {
  id?: string | number | null;
  type: 'hand';
  raised: boolean;
}
export interface IceRestart {
  id?: string | number | null;
  type: 'ice.restart';
  target: 'subscriber';
}
export interface CaptionsSet {
  id?: string | number | null;
  type: 'captions.set';
  enabled: boolean;
  language?: 'fr' | 'en' | 'auto';
}
/**
 * A viewer's own choice: read every caption in English (the room's recognition then also
 * translates, while at least one participant wants it).
 */
export interface CaptionsTranslation {
  id?: string | number | null;
  type: 'captions.translation';
  enabled: boolean;
}
export interface Moderate {
  id?: string | number | null;
  type: 'moderate';
  action: 'mute' | 'camera_off' | 'stop_screen' | 'lower_hand' | 'remove' | 'promote';
  participant_id?: string | null;
}
export interface RoomLock {
  id?: string | number | null;
  type: 'room.lock';
  locked: boolean;
}
export interface RoomEnd {
  id?: string | number | null;
  type: 'room.end';
}
export interface LobbyAdmit {
  id?: string | number | null;
  waiting_id?: string | null;
  all?: boolean;
  type: 'lobby.admit';
}
export interface LobbyDeny {
  id?: string | number | null;
  waiting_id?: string | null;
  all?: boolean;
  type: 'lobby.deny';
}
export interface Leave {
  id?: string | number | null;
  type: 'leave';
}
export interface Ping {
  id?: string | number | null;
  type: 'ping';
}
/**
 * Which received videos to relay, and at which layer: keyed by subscriber mids. Video
 * streams start at ``low``; a screen share has one layer, so any layer but ``off`` means on.
 */
export interface SubscriptionSet {
  id?: string | number | null;
  type: 'subscription.set';
  /**
   * @minItems 1
   * @maxItems 256
   */
  streams: [StreamLayer, ...StreamLayer[]];
}
export interface StreamLayer {
  mid: string;
  layer: 'high' | 'medium' | 'low' | 'off';
}
/**
 * Say something in the meeting's chat; everyone present gets ``chat.message``.
 */
export interface ChatSend {
  id?: string | number | null;
  type: 'chat.send';
  text: string;
}
/**
 * A moderator takes a chat message away, for everyone (and from the stored history).
 */
export interface ChatDelete {
  id?: string | number | null;
  type: 'chat.delete';
  message_id: string;
}
/**
 * Show a reaction over one's own tile to everyone present, for a moment.
 */
export interface React {
  id?: string | number | null;
  type: 'reaction';
  reaction: 'thumbs_up' | 'clap' | 'laugh' | 'heart' | 'party' | 'surprised';
}
/**
 * A moderator starts recording the meeting: audio and video (``video``), or audio only.
 * Everyone gets ``recording.state``.
 */
export interface RecordingStart {
  id?: string | number | null;
  type: 'recording.start';
  video: boolean;
}
/**
 * A moderator stops the meeting's recording (it is then processed into one file).
 */
export interface RecordingStop {
  id?: string | number | null;
  type: 'recording.stop';
}
/**
 * A moderator starts the meeting's transcript (everyone sees ``transcription.state``).
 */
export interface TranscriptionStart {
  id?: string | number | null;
  type: 'transcription.start';
  language?: 'fr' | 'en' | 'auto';
}
export interface TranscriptionStop {
  id?: string | number | null;
  type: 'transcription.stop';
}
/**
 * Ask for fresh ICE servers (the TURN credential in ``joined`` expires): the answer is
 * ``ice.servers``.
 */
export interface IceServersRequest {
  id?: string | number | null;
  type: 'ice.servers';
}
/**
 * Which path ICE selected for one of the client's peer connections (its local candidate's
 * type, and how it reaches the TURN server when relayed): counted in ``/metrics``, no answer.
 */
export interface MediaPathReport {
  id?: string | number | null;
  type: 'media.path';
  target: 'publisher' | 'subscriber';
  candidate_type: 'host' | 'srflx' | 'prflx' | 'relay';
  relay_protocol?: ('udp' | 'tcp' | 'tls') | null;
}
export interface Joined {
  reply_to?: string | number;
  type: 'joined';
  participant: ParticipantInfo;
  participants: ParticipantInfo[];
  ice_servers: {
    [k: string]: unknown | undefined;
  }[];
  limits: Limits;
  captions: CaptionsInfo;
  locked: boolean;
  start_muted: boolean;
  speaking: string[];
  chat: ChatMessageInfo[];
  recording: RecordingInfo;
  transcription: TranscriptionInfo;
  ice_refresh_seconds?: number;
  resume_token?: string;
}
export interface ParticipantInfo {
  id: string;
  name: string;
  audio: boolean;
  video: boolean;
  screen: boolean;
  moderator: boolean;
  joined_at: string;
  identity: 'signed_in' | 'guest';
  role?: 'owner' | 'administrator' | 'member';
  moderator_by?: 'role' | 'promoted' | 'interim';
  hand_raised_at?: string;
  shared_device?: true;
}
export interface Limits {
  max_message_bytes: number;
  rate_per_second: number;
  rate_burst: number;
}
export interface CaptionsInfo {
  enabled: boolean;
  language: 'fr' | 'en' | 'auto';
  set_by?: string;
}
/**
 * One chat message: who said it (their participant id and name then), what, when.
 */
export interface ChatMessageInfo {
  id: string;
  participant_id: string;
  name: string;
  text: string;
  sent_at: string;
  earlier: boolean;
}
/**
 * Whether the meeting is being recorded, how, since when and who started it (the last
 * two are left out while it is not).
 */
export interface RecordingInfo {
  active: boolean;
  video: boolean;
  started_at?: string;
  started_by?: string;
}
/**
 * Whether the meeting is being transcribed: since when, started by which participant.
 */
export interface TranscriptionInfo {
  active: boolean;
  started_at?: string;
  started_by?: string;
}
export interface ParticipantJoined {
  type: 'participant.joined';
  participant: ParticipantInfo;
}
export interface ParticipantUpdated {
  type: 'participant.updated';
  participant: ParticipantInfo;
}
export interface ParticipantLeft {
  type: 'participant.left';
  participant_id: string;
  reason: 'left' | 'disconnected' | 'removed';
}
export interface PublishAnswer {
  reply_to?: string | number;
  type: 'publish.answer';
  sdp: string;
}
export interface SubscriberOffer {
  type: 'subscriber.offer';
  sdp: string;
  streams: StreamInfo[];
}
export interface StreamInfo {
  mid: string;
  participant_id: string;
  source: 'microphone' | 'camera' | 'screen';
  kind: 'audio' | 'video';
}
export interface ServerTrickle {
  type: 'trickle';
  target: 'publisher' | 'subscriber';
  candidate?: IceCandidate;
}
export interface MediaInterrupted {
  type: 'media.interrupted';
  reason: string;
}
export interface MediaReset {
  type: 'media.reset';
  reason: string;
}
/**
 * To the participant a moderator acted on: do it (turn the microphone off, ...).
 */
export interface Moderated {
  type: 'moderated';
  action: 'mute' | 'camera_off' | 'stop_screen' | 'lower_hand' | 'remove' | 'promote';
  by: string;
}
export interface RoomState {
  type: 'room.state';
  locked: boolean;
  set_by?: string;
}
export interface CaptionsState {
  type: 'captions.state';
  captions: CaptionsInfo;
}
/**
 * To the participant who asked: whether they now get captions in English.
 */
export interface CaptionsTranslationState {
  reply_to?: string | number;
  type: 'captions.translation';
  enabled: boolean;
}
export interface Caption {
  type: 'caption';
  participant_id: string;
  segment_id: string;
  kind: 'partial' | 'final';
  text: string;
  language?: string;
  words: CaptionWord[];
  translation?: string;
}
export interface CaptionWord {
  text: string;
  start: number;
  end: number;
}
/**
 * To a person who joined: you wait in the lobby until a moderator admits you.
 */
export interface LobbyWaiting {
  reply_to?: string | number;
  type: 'lobby.waiting';
  reason: 'trusted' | 'restricted' | 'locked' | 'removed';
}
export interface LobbyKnock {
  type: 'lobby.knock';
  waiting: WaitingPersonInfo;
}
/**
 * Someone waiting in the lobby, as moderators see them.
 */
export interface WaitingPersonInfo {
  id: string;
  name: string;
  identity: 'signed_in' | 'guest';
  reason: 'trusted' | 'restricted' | 'locked' | 'removed';
  since: string;
}
export interface LobbyList {
  type: 'lobby.list';
  waiting: WaitingPersonInfo[];
}
export interface LobbyLeft {
  type: 'lobby.left';
  waiting_id: string;
  reason: 'admitted' | 'denied' | 'left';
  by?: string;
}
export interface ErrorMessage {
  reply_to?: string | number;
  type: 'error';
  code:
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
    | 'internal'
    | 'chat_message_not_found'
    | 'transcription_unavailable'
    | 'replaced'
    | 'service_unavailable';
  message: string;
  details?: ErrorDetail[];
  fatal: boolean;
}
export interface ErrorDetail {
  field: string;
  problem: string;
}
export interface Pong {
  reply_to?: string | number;
  type: 'pong';
}
/**
 * The answer to ``subscription.set`` once Janus applied it: every video stream of the
 * subscription and the layer it is set to now.
 */
export interface SubscriptionState {
  reply_to?: string | number;
  type: 'subscription.state';
  streams: StreamLayer[];
}
/**
 * Someone started or stopped speaking, as the media engine hears their microphone (never
 * while it is off).
 */
export interface Speaking {
  type: 'speaking';
  participant_id: string;
  speaking: boolean;
}
/**
 * Someone said something in the chat (the sender's own copy has ``reply_to``).
 */
export interface ChatMessage {
  reply_to?: string | number;
  type: 'chat.message';
  message: ChatMessageInfo;
}
export interface ChatDeleted {
  type: 'chat.deleted';
  message_id: string;
  deleted_by: string;
}
/**
 * To everyone present, the sender included: show this reaction over their tile.
 */
export interface Reaction {
  type: 'reaction';
  participant_id: string;
  reaction: 'thumbs_up' | 'clap' | 'laugh' | 'heart' | 'party' | 'surprised';
}
/**
 * To everyone present: the meeting's recording started or stopped.
 */
export interface RecordingState {
  active: boolean;
  video: boolean;
  started_at?: string;
  started_by?: string;
  type: 'recording.state';
}
/**
 * To everyone present: the meeting's transcript started or stopped.
 */
export interface TranscriptionState {
  type: 'transcription.state';
  active: boolean;
  started_at?: string;
  started_by?: string;
}
/**
 * The answer to ``ice.servers``: fresh STUN/TURN servers for ``RTCPeerConnection`` (the
 * client gives them to its peer connections; they serve from the next ICE restart).
 */
export interface IceServers {
  reply_to?: string | number;
  type: 'ice.servers';
  ice_servers: {
    [k: string]: unknown | undefined;
  }[];
  refresh_seconds?: number;
}
/**
 * A fresh resume token, replacing the one in ``joined`` (sent while connected, before the
 * previous one expires).
 */
export interface ResumeToken {
  type: 'resume.token';
  token: string;
}
