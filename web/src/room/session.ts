import { Emitter } from './emitter';
import { LocalMedia, type LocalMediaOptions, type LocalMediaState } from './localMedia';
import {
  CloseCode,
  isModeratedAction,
  PROTOCOL_VERSION,
  type Caption,
  type CaptionLanguage,
  type CaptionsInfo,
  type ChatMessageInfo,
  type ClientMessage,
  type ErrorMessage,
  type Joined,
  type ModeratedAction,
  type ModerationAction,
  type ParticipantInfo,
  type ReactionName,
  type RecordingInfo,
  type RequestId,
  type ServerMessage,
  type SubscriberOffer,
  type Target,
  type WaitingPersonInfo,
  type WaitReason,
  type TranscriptionInfo,
} from './protocol';
import { Publisher } from './publisher';
import { RemoteStreamMap, type RemoteTrack } from './remoteStreams';
import {
  INITIAL_ROOM_STATE,
  reduceRoomState,
  sameParticipants,
  withConnectionLost,
  withOwnHand,
  type RoomLockState,
  type RoomState,
} from './roomState';
import { SignalingChannel, type SignalingCloseInfo } from './signaling';
import { Subscriber } from './subscriber';
import type { LayerPlan } from './layerPlanner';
import { LayerSubscription } from './layerSubscription';
import { applyIceServers, IceServerRefresh } from '../turn/iceServers';
import { reportSelectedPath } from '../turn/relayPath';

export { CAPTIONS_OFF, type RoomLockState } from './roomState';
export { CAMERA_ENCODINGS } from './publisher';
export type { LocalMediaState } from './localMedia';

/**
 * - `connecting`: before the first `joined`;
 * - `connected`: in the room, media flowing or being set up;
 * - `reconnecting`: the WebSocket dropped, the media engine restarts, or ICE is being restarted;
 *   the session recovers by itself;
 * - `left`: after `leave()`;
 * - `failed`: the server ended the session (a fatal error, see the `error` event).
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'left' | 'failed';

/**
 * What the server said about a wait, while connecting or reconnecting (null: nothing):
 * - `moving`: the room moves to another app server (close code 1012); the session rejoins at once;
 * - `unavailable`: the servers cannot place the room for now (`service_unavailable`, close code
 *   1013); the session keeps trying, with backoff.
 * Cleared once in the room again.
 */
export type ServerNotice = 'moving' | 'unavailable' | null;

export interface SessionError {
  /**
   * A protocol error code (fatal ones such as `removed` or `meeting_ended`; `forbidden`,
   * `participant_not_found` or `captions_unavailable` in reply to a request), or
   * `connection_closed`, `media_failed`, `camera_failed`, `screen_failed`.
   */
  code: string;
  message: string;
  fatal: boolean;
  /** Which of this person's requests the server refused, when it says. */
  request?: SessionRequest;
}

/** The kinds of request a person makes that the server may refuse. */
export type SessionRequest = 'captions' | 'moderation' | 'chat' | 'reaction' | 'recording' | 'transcription';

/** A moderator turned off one of your sources or lowered your hand; the session already did it. */
export interface ModeratedEvent {
  action: ModeratedAction;
  /** The moderator's participant id. */
  by: string;
  /** False when it was already off (e.g. "mute everyone" reaching someone already muted). */
  changed: boolean;
}

export type RoomSessionEvents = {
  status: (status: ConnectionStatus) => void;
  /** Why the server makes you wait while (re)connecting (see `ServerNotice`). */
  'server-notice': (notice: ServerNotice) => void;
  /** You, as the server knows you (null before `joined`). */
  self: (participant: ParticipantInfo | null) => void;
  /** Everyone else in the room, in order of arrival. */
  participants: (participants: ParticipantInfo[]) => void;
  'participant-joined': (participant: ParticipantInfo) => void;
  'participant-left': (participant: ParticipantInfo, reason: string) => void;
  /** Every remote track received now, each with its participant and source. */
  tracks: (tracks: RemoteTrack[]) => void;
  local: (state: LocalMediaState) => void;
  /** The meeting's subtitles were turned on or off (also once on joining). */
  captions: (captions: CaptionsInfo) => void;
  /** Recognised speech from one participant's microphone. */
  caption: (caption: Caption) => void;
  /** A moderator turned off your microphone, camera or screen share, or lowered your hand (already done here). */
  moderated: (event: ModeratedEvent) => void;
  /** A moderator locked or unlocked the room (also once on joining). */
  lock: (state: RoomLockState) => void;
  /** Why you wait in the lobby (`trusted`, `restricted`, `locked`, `removed`), or null once in. */
  waiting: (reason: WaitReason | null) => void;
  /** Moderators: the people waiting in the lobby, in the order they knocked. */
  lobby: (waiting: WaitingPersonInfo[]) => void;
  /** Moderators: someone knocked. */
  knock: (person: WaitingPersonInfo) => void;
  /** Who is speaking now (you included), in the order they started, as the server hears it. */
  speaking: (speaking: string[]) => void;
  error: (error: SessionError) => void;
  /** The meeting is large (`joined.start_muted`): the microphone was turned off on arrival. */
  'start-muted': () => void;
  /** The chat so far, on each `joined` (this meeting's, and for members the kept history). */
  'chat-history': (messages: ChatMessageInfo[]) => void;
  /** A chat message, yours included (`own`). */
  'chat-message': (message: ChatMessageInfo, own: boolean) => void;
  /** A moderator deleted a chat message. */
  'chat-deleted': (messageId: string, deletedBy: string) => void;
  /**
   * The server refused a chat request: `rate_limited`, `forbidden`, `invalid_message`, ...;
   * `text` is the refused message's, to give back to the person.
   */
  'chat-error': (error: SessionError, text: string | null) => void;
  /** Someone present, you included, reacted (`reaction`): show it over their tile for a moment. */
  reaction: (participantId: string, reaction: ReactionName) => void;
  /** The meeting's recording started or stopped (also once on each `joined`). */
  recording: (recording: RecordingInfo) => void;
  /** The meeting's transcript started or stopped (also once on joining). */
  transcription: (state: TranscriptionInfo) => void;
};

/** Errors a person caused with a request and should be told about; the others only go to the console. */
const REPORTED_ERROR_CODES: ReadonlySet<string> = new Set([
  'forbidden',
  'participant_not_found',
  'captions_unavailable',
  'transcription_unavailable',
]);
/** How many recent requests to remember, to say which one an error answers. */
const REMEMBERED_REQUESTS = 32;

/** The room, the person's name, and their microphone, camera and screen (`LocalMediaOptions`). */
export interface RoomSessionOptions extends LocalMediaOptions {
  /** The room's WebSocket URL (`roomSocketUrl(slug)`). */
  url: string;
  name: string;
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
  signaling?: SignalingChannel;
  /** A room-level invitation from the link (`?invitation=`), sent with every join. */
  invitation?: string | null;
  /** Several people use this microphone (`join.shared_device`), chosen before joining. */
  sharedDevice?: boolean;
}

/** How long a peer connection may stay `disconnected` before an ICE restart. */
const ICE_DISCONNECTED_GRACE_MS = 3_000;
/**
 * How long the media may stay down (ICE `disconnected` or `failed`, restarts included) while the
 * socket looks open, before the session rejoins on a new socket: the old one is likely dead too.
 */
export const ICE_RECOVERY_TIMEOUT_MS = 10_000;

/**
 * One participant's presence in one room: the WebSocket, the room state (`roomState.ts`), the
 * publisher and subscriber peer connections (`publisher.ts`, `subscriber.ts`), and the local
 * tracks (`localMedia.ts`). Plain TypeScript; the UI subscribes to its events.
 *
 * Recovery is automatic: when a peer connection fails or stays disconnected, an ICE restart; when
 * that has not brought the media back within `ICE_RECOVERY_TIMEOUT_MS`, or the WebSocket drops, the
 * session rejoins (a fresh participant id) and publishes again, keeping the microphone and camera
 * state, a raised hand and the subtitle language; on `media.reset` it closes both peer connections
 * and publishes again.
 */
export class RoomSession extends Emitter<RoomSessionEvents> {
  remoteTracks: RemoteTrack[] = [];
  status: ConnectionStatus = 'connecting';
  serverNotice: ServerNotice = null;
  /** The room as the server last said (`reduceRoomState`), with this person's own hand. */
  private room: RoomState = INITIAL_ROOM_STATE;

  private readonly signaling: SignalingChannel;
  private readonly createPeerConnection: (configuration: RTCConfiguration) => RTCPeerConnection;
  private readonly remoteStreams = new RemoteStreamMap<MediaStreamTrack, MediaStream>(
    (track) => new MediaStream([track]),
  );
  private pub: Publisher | null = null;
  private sub: Subscriber | null = null;
  private iceServers: RTCIceServer[] = [];
  /** Bumped whenever the peer connections are replaced; stale async work checks it and stops. */
  private generation = 0;
  private started = false;
  private joined = false;
  private english = false;
  /**
   * The server's latest resume token for this meeting, sent with `join` after a reconnection so
   * that this person comes back as themselves. In memory only: never stored, never in a URL.
   */
  private resumeToken: string | null = null;
  private pausedCamera = false;
  private recordingInfo: RecordingInfo = { active: false, video: false };
  private transcriptionState: TranscriptionInfo = { active: false };
  private socketDown = false;
  private mediaInterrupted = false;
  private finished: 'left' | 'failed' | null = null;
  private publishRetries = 0;
  private iceTimers = new Map<RTCPeerConnection, ReturnType<typeof setTimeout>>();
  /** Running while the media is down and the socket up: rejoin when it fires. */
  private iceRecoveryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Recent requests a person made, so that an error in reply can say which one it refuses. */
  private readonly requests = new Map<RequestId, SessionRequest>();
  /** The text of recent chat messages sent, by request id, to give back one the server refuses. */
  private readonly chatTexts = new Map<RequestId, string>();
  private readonly unsubscribe: (() => void)[] = [];

  private readonly local: LocalMedia;
  private readonly layers = new LayerSubscription((message) => this.signaling.send(message));
  /** Asks for fresh ICE servers before the TURN credential of `joined` expires (`turn/iceServers`). */
  private readonly iceRefresh = new IceServerRefresh(() => this.signaling.send({ type: 'ice.servers' }));

  constructor(private readonly options: RoomSessionOptions) {
    super();
    this.local = new LocalMedia(options, {
      sender: (source) => this.pub?.[source].sender ?? null,
      toggled: () => this.sendMediaState(),
      changed: () => this.emitLocal(),
      failed: (code, error) => this.reportMediaError(code, error),
      screenEnded: () => this.stopScreenShare(),
    });
    this.signaling = options.signaling ?? new SignalingChannel(options.url);
    this.createPeerConnection =
      options.createPeerConnection ?? ((configuration) => new RTCPeerConnection(configuration));
  }

  /** This person's participant id (null before the first `joined`; a new one after each rejoin). */
  get participantId(): string | null {
    return this.room.self?.id ?? null;
  }

  /** You, as the server knows you (null before `joined`). */
  get self(): ParticipantInfo | null {
    return this.room.self;
  }

  /** Everyone else in the room, in order of arrival. */
  get participants(): ParticipantInfo[] {
    return this.room.participants;
  }

  /** The meeting's subtitles, as the server last said. */
  get captions(): CaptionsInfo {
    return this.room.captions;
  }

  /** Whether a moderator locked the room, as the server last said. */
  get lock(): RoomLockState {
    return this.room.lock;
  }

  /** Why you wait in the lobby, or null when not waiting. */
  get waiting(): WaitReason | null {
    return this.room.waiting;
  }

  /** Moderators: who waits in the lobby. */
  /** Who is speaking now, in the order they started. */
  get speaking(): string[] {
    return this.room.speaking;
  }

  get lobby(): WaitingPersonInfo[] {
    return this.room.lobby;
  }

  /** The publisher peer connection (null between two media setups). */
  get publisher(): RTCPeerConnection | null {
    return this.pub?.pc ?? null;
  }

  /** The subscriber peer connection (null until the first `subscriber.offer` or trickle). */
  get subscriber(): RTCPeerConnection | null {
    return this.sub?.pc ?? null;
  }

  /** Whether a moderator locked the room. */
  get locked(): boolean {
    return this.lock.locked;
  }

  get localState(): LocalMediaState {
    return this.local.state;
  }

  /** Opens the WebSocket and joins. The publisher's offer is prepared while the socket opens. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.unsubscribe.push(
      this.signaling.on('open', () => this.onSocketOpen()),
      this.signaling.on('message', (message) => this.onMessage(message)),
      this.signaling.on('close', (info) => this.onSocketClose(info)),
    );
    // The socket may have been opened ahead (while the person typed their name): join at once.
    if (this.signaling.isOpen) this.onSocketOpen();
    else this.signaling.connect();
    // While the server handles `join`, build the publisher and its offer.
    this.pub = this.createPublisher([]);
    this.pub.preparedOffer = this.pub.pc.createOffer();
    this.pub.preparedOffer.catch(() => undefined);
  }

  /** Leaves the room: tells the server, closes everything and stops the camera and microphone. */
  leave(): void {
    if (this.finished) return;
    this.signaling.send({ type: 'leave' });
    this.finish('left');
  }

  /**
   * Rejoins now on a new socket (the "Rejoin" button while reconnecting takes long); the session
   * keeps trying by itself anyway. Does nothing once left or failed.
   */
  reconnect(): void {
    if (this.finished) return;
    this.signaling.reconnectNow();
  }

  // ---- local media controls ----

  setMicrophoneEnabled(enabled: boolean): void {
    this.local.setMicrophoneEnabled(enabled);
  }

  setCameraEnabled(enabled: boolean): void {
    this.local.setCameraEnabled(enabled);
  }

  /** Uses this microphone track from now on (a late capture, or another device). */
  setMicrophoneTrack(track: MediaStreamTrack | null): void {
    this.local.setMicrophoneTrack(track);
  }

  /**
   * Uses this camera track from now on (a late capture, or another device). While the camera is
   * turned off the track is stopped at once: turning the camera on captures a fresh one.
   */
  setCameraTrack(track: MediaStreamTrack | null): void {
    this.local.setCameraTrack(track);
  }

  get canShareScreen(): boolean {
    return this.local.canShareScreen;
  }

  async startScreenShare(): Promise<void> {
    const track = await this.local.startScreen();
    const pub = this.pub;
    if (track && pub) {
      this.onPublisher(pub, async (isCurrent) => {
        await pub.attachScreen(track);
        await this.negotiatePublisher(pub, isCurrent);
      });
    }
  }

  stopScreenShare(): void {
    if (!this.local.stopScreen()) return;
    const pub = this.pub;
    if (pub) {
      this.onPublisher(pub, async (isCurrent) => {
        if (await pub.detachScreen()) await this.negotiatePublisher(pub, isCurrent);
      });
    }
  }

  // ---- subtitles ----

  /**
   * Asks the server to turn the meeting's subtitles on (in `language`) or off for everyone.
   * Only a moderator may: others get a `forbidden` error event. Everyone, you included, then gets
   * the `captions` event. Returns false when not in the room right now.
   */
  setCaptions(enabled: boolean, language: CaptionLanguage): boolean {
    return this.request('captions', { type: 'captions.set', enabled, language });
  }

  /** Whether this person asked to read the subtitles in English (their own choice). */
  get captionsInEnglish(): boolean {
    return this.english;
  }

  /**
   * Asks for the subtitles in English, or no longer: finals spoken in another language then come
   * with a `translation`. For this person only; kept across reconnections (sent again on `joined`).
   */
  setCaptionsInEnglish(enabled: boolean): void {
    if (this.english === enabled) return;
    this.english = enabled;
    if (this.joined && !this.finished) this.signaling.send({ type: 'captions.translation', enabled });
  }

  // ---- the transcript ----

  /** Whether the meeting is being transcribed, as the server last said. */
  get transcription(): TranscriptionInfo {
    return this.transcriptionState;
  }

  /**
   * Asks the server to start the meeting's transcript (moderators only: others get a `forbidden`
   * error event); everyone then gets the `transcription` event. `language` counts while subtitles
   * are off. Returns false when not in the room right now.
   */
  startTranscription(language: CaptionLanguage = 'auto'): boolean {
    return this.request('transcription', { type: 'transcription.start', language });
  }

  /** Asks the server to stop the meeting's transcript (moderators only). */
  stopTranscription(): boolean {
    return this.request('transcription', { type: 'transcription.stop' });
  }

  private onTranscription(state: TranscriptionInfo): void {
    this.transcriptionState = state;
    this.emit('transcription', state);
  }

  // ---- moderation (moderators only; the server refuses others with `forbidden`) ----

  /**
   * Acts on one participant, or with no id (only for `mute` and `camera_off`) on everyone who is
   * not a moderator. The effect comes back as room events (`participants`, `participant-left`).
   * Returns false when not in the room right now.
   */
  moderate(action: ModerationAction, participantId?: string): boolean {
    return this.request('moderation', {
      type: 'moderate',
      action,
      ...(participantId === undefined ? {} : { participant_id: participantId }),
    });
  }

  /** Whether this person's hand is up (kept here: the server tells only the others). */
  get handRaised(): boolean {
    return Boolean(this.self?.hand_raised_at);
  }

  /**
   * Raises or lowers this person's hand. The server answers nothing to the sender, so `self` is
   * updated here at once (with a local time, for ordering). Returns false when not in the room.
   */
  raiseHand(raised: boolean): boolean {
    if (!this.joined || this.finished) return false;
    if (this.signaling.send({ type: 'hand', raised }) === null) return false;
    this.setRoom(withOwnHand(this.room, raised ? new Date().toISOString() : null));
    return true;
  }

  /** Locks the room (nobody new gets in) or unlocks it; everyone then gets the `lock` event. */
  lockRoom(locked: boolean): boolean {
    return this.request('moderation', { type: 'room.lock', locked });
  }

  // ---- recording (moderators only; the server refuses others with `forbidden`) ----

  /** Whether the meeting is being recorded, as the server last said. */
  get recording(): RecordingInfo {
    return this.recordingInfo;
  }

  /**
   * Starts recording the meeting (audio and video, or audio only when `video` is false);
   * everyone, you included, then gets the `recording` event. Returns false when not in the room.
   */
  startRecording(video: boolean): boolean {
    return this.request('recording', { type: 'recording.start', video });
  }

  /** Stops the meeting's recording; everyone then gets the `recording` event. */
  stopRecording(): boolean {
    return this.request('recording', { type: 'recording.stop' });
  }

  /** Ends the meeting for everyone, this person included (a fatal `meeting_ended` error follows). */
  endMeeting(): boolean {
    return this.request('moderation', { type: 'room.end' });
  }

  // ---- chat ----

  /**
   * Says something in the meeting's chat; it comes back as a `chat-message` event (`own`), or a
   * `chat-error` (`rate_limited` when sending too fast). Returns false when not in the room.
   */
  sendChat(text: string): boolean {
    const id = this.sendRequest('chat', { type: 'chat.send', text });
    if (id === null) return false;
    this.chatTexts.set(id, text);
    if (this.chatTexts.size > REMEMBERED_REQUESTS) this.chatTexts.delete(this.chatTexts.keys().next().value!);
    return true;
  }

  /** Moderators: deletes a chat message for everyone (a `chat-deleted` event follows). */
  deleteChatMessage(messageId: string): boolean {
    return this.request('chat', { type: 'chat.delete', message_id: messageId });
  }

  /** Lets someone waiting in the lobby in (`all`: everyone waiting). */
  admit(waitingId: string | 'all'): boolean {
    return this.request('moderation', {
      type: 'lobby.admit',
      ...(waitingId === 'all' ? { all: true } : { waiting_id: waitingId }),
    });
  }

  /** Turns someone waiting in the lobby away (`all`: everyone waiting). */
  deny(waitingId: string | 'all'): boolean {
    return this.request('moderation', {
      type: 'lobby.deny',
      ...(waitingId === 'all' ? { all: true } : { waiting_id: waitingId }),
    });
  }

  /**
   * Which simulcast layer to receive for each remote video, by mid (`layerPlanner.ts`); `off`
   * receives none of it. Only the differences reach the server, and all again after a new offer.
   */
  setVideoLayers(plan: LayerPlan): void {
    this.layers.want(plan);
  }

  /** Whether the camera is paused for a weak uplink (`setCameraPaused`). */
  get cameraPaused(): boolean {
    return this.pausedCamera;
  }

  /**
   * Pauses (or resumes) sending the camera on a weak uplink (link adaptation), keeping the capture
   * and the person's own choice: the encodings go inactive, so nothing is renegotiated, and the
   * others are told the camera is off, so they show the avatar instead of a frozen picture.
   */
  setCameraPaused(paused: boolean): void {
    if (paused === this.pausedCamera) return;
    this.pausedCamera = paused;
    if (this.pub) setEncodingsActive(this.pub.camera.sender, !paused);
    this.sendMediaState();
  }

  /**
   * Sends a reaction; everyone, you included, gets the `reaction` event when the server passes it
   * on. Over the server's limit (6 at once, 3 a second) an `error` event `rate_limited` follows.
   */
  react(reaction: ReactionName): boolean {
    return this.request('reaction', { type: 'reaction', reaction });
  }

  private request(kind: SessionRequest, message: ClientMessage): boolean {
    return this.sendRequest(kind, message) !== null;
  }

  private sendRequest(kind: SessionRequest, message: ClientMessage): RequestId | null {
    if (!this.joined || this.finished) return null;
    const id = this.signaling.send(message);
    if (id === null) return null;
    this.requests.set(id, kind);
    if (this.requests.size > REMEMBERED_REQUESTS) this.requests.delete(this.requests.keys().next().value!);
    return id;
  }

  /**
   * Does what a moderator asked: as if the person had pressed the button themselves. A lowered
   * hand is already down in the room state; `handWasRaised` says whether that changed anything.
   */
  private obey(action: ModeratedAction, by: string, handWasRaised: boolean): void {
    let changed: boolean;
    switch (action) {
      case 'mute':
        changed = this.local.audio;
        this.setMicrophoneEnabled(false);
        break;
      case 'camera_off':
        changed = this.local.video;
        this.setCameraEnabled(false);
        break;
      case 'stop_screen':
        changed = this.local.screenTrack !== null;
        this.stopScreenShare();
        break;
      case 'lower_hand':
        changed = handWasRaised;
        break;
    }
    this.emit('moderated', { action, by, changed });
  }

  // ---- room state ----

  /** Replaces the room state and emits an event for each part that changed. */
  private setRoom(room: RoomState): void {
    const before = this.room;
    this.room = room;
    if (room.waiting !== before.waiting) this.emit('waiting', room.waiting);
    if (room.self !== before.self) this.emit('self', room.self);
    if (room.participants !== before.participants) {
      this.emit('participants', room.participants);
      // Tracks may have arrived (in a `subscriber.offer`) before their participant was announced,
      // and those of someone who left go.
      if (!sameParticipants(before.participants, room.participants)) this.emitTracks();
    }
    if (room.captions !== before.captions) this.emit('captions', room.captions);
    if (room.lock !== before.lock) this.emit('lock', room.lock);
    if (room.lobby !== before.lobby) this.emit('lobby', room.lobby);
    if (room.speaking !== before.speaking) this.emit('speaking', room.speaking);
  }

  // ---- signaling ----

  private onSocketOpen(): void {
    this.signaling.send({
      type: 'join',
      version: PROTOCOL_VERSION,
      name: this.options.name,
      audio: this.local.audio,
      video: this.local.video && !this.cameraPaused,
      ...(this.options.invitation ? { invitation: this.options.invitation } : {}),
      ...(this.resumeToken ? { resume: this.resumeToken } : {}),
      ...(this.options.sharedDevice ? { shared_device: true } : {}),
    });
  }

  private onSocketClose(info: SignalingCloseInfo): void {
    if (this.finished) return;
    if (info.reconnecting) {
      // We rejoin with the resume token: the server lets us back in as the same participant
      // (or as a new one when the token no longer holds).
      if (info.code === CloseCode.serviceRestart) this.setServerNotice('moving');
      else if (info.code === CloseCode.tryAgainLater) this.setServerNotice('unavailable');
      this.socketDown = true;
      this.joined = false;
      this.setRoom(withConnectionLost(this.room));
      this.teardownMedia();
      this.updateStatus();
      return;
    }
    this.emit('error', {
      code: 'connection_closed',
      message: `The server closed the connection (${info.code} ${info.reason}).`,
      fatal: true,
    });
    this.finish('failed');
  }

  private onMessage(message: ServerMessage): void {
    if (this.finished) return;
    if (message.type === 'joined') return this.onJoined(message);
    const before = this.room;
    this.setRoom(reduceRoomState(before, message));
    switch (message.type) {
      case 'participant.joined':
        if (message.participant.id !== before.self?.id && !before.participants.some((p) => p.id === message.participant.id)) {
          this.emit('participant-joined', message.participant);
        }
        return;
      case 'participant.left': {
        const gone = before.participants.find((p) => p.id === message.participant_id);
        if (gone) this.emit('participant-left', gone, message.reason);
        return;
      }
      case 'publish.answer':
        this.pub?.answered(message.reply_to, message.sdp);
        return;
      case 'subscriber.offer': {
        markOnce('visio:subscriber-offer');
        const sub = this.ensureSubscriber();
        if (sub) this.onSubscriber(sub, () => this.answerSubscriberOffer(sub, message));
        return;
      }
      case 'trickle': {
        const owner = message.target === 'publisher' ? this.pub : this.ensureSubscriber();
        owner?.remoteCandidates.push(message.candidate ?? null);
        return;
      }
      case 'media.interrupted':
        this.mediaInterrupted = true;
        this.updateStatus();
        return;
      case 'media.reset':
        this.mediaInterrupted = false;
        if (this.joined) this.setupMedia();
        this.updateStatus();
        return;
      case 'caption':
        this.emit('caption', message);
        return;
      case 'moderated':
        if (isModeratedAction(message.action)) this.obey(message.action, message.by, Boolean(before.self?.hand_raised_at));
        return;
      case 'lobby.knock':
        this.emit('knock', message.waiting);
        return;
      case 'chat.message':
        if (message.reply_to !== undefined) this.chatTexts.delete(message.reply_to);
        this.emit('chat-message', message.message, message.message.participant_id === this.participantId);
        return;
      case 'chat.deleted':
        this.emit('chat-deleted', message.message_id, message.deleted_by);
        return;
      case 'error':
        return this.onError(message);
      case 'subscription.state':
        this.layers.confirmed(message.reply_to ?? undefined, message.streams);
        return;
      case 'reaction':
        this.emit('reaction', message.participant_id, message.reaction);
        return;
      case 'recording.state':
        this.recordingInfo = { active: message.active, video: message.video ?? false, started_at: message.started_at, started_by: message.started_by };
        this.emit('recording', this.recordingInfo);
        return;
      case 'transcription.state':
        this.onTranscription({
          active: message.active,
          ...(message.started_at ? { started_at: message.started_at } : {}),
          ...(message.started_by ? { started_by: message.started_by } : {}),
        });
        return;
      case 'resume.token':
        this.resumeToken = message.token;
        return;
      case 'ice.servers':
        this.iceServers = message.ice_servers as unknown as RTCIceServer[];
        applyIceServers([this.pub?.pc ?? null, this.sub?.pc ?? null], this.iceServers);
        this.iceRefresh.schedule(message.refresh_seconds);
        return;
      case 'participant.updated':
      case 'captions.state':
      case 'captions.translation':
      case 'room.state':
      case 'lobby.waiting':
      case 'lobby.list':
      case 'lobby.left':
      case 'pong':
      case 'speaking':
        return;
    }
  }

  private onJoined(message: Joined): void {
    performance.mark('visio:joined');
    this.joined = true;
    this.socketDown = false;
    this.setServerNotice(null);
    this.resumeToken = message.resume_token ?? null;
    // After a reconnection the server knows a new participant, hand down: raise it again.
    const handWasUp = this.self !== null && this.self.id !== message.participant.id && this.handRaised;
    let room = reduceRoomState(this.room, message);
    if (handWasUp && !message.participant.hand_raised_at && this.signaling.send({ type: 'hand', raised: true }) !== null) {
      room = withOwnHand(room, new Date().toISOString());
    }
    // The server knows a new participant: ask for English again if this person had.
    if (this.english) this.signaling.send({ type: 'captions.translation', enabled: true });
    this.iceServers = message.ice_servers as unknown as RTCIceServer[]; // The STUN/TURN entries, in RTCIceServer's shape.
    this.iceRefresh.schedule(message.ice_refresh_seconds);
    // A large meeting: arrive muted (not again on a reconnection: the person chose since).
    if (message.start_muted && this.self === null && this.local.audio) {
      this.setMicrophoneEnabled(false);
      this.emit('start-muted');
    }
    this.setRoom(room);
    this.onTranscription(message.transcription);
    this.emit('chat-history', message.chat);
    this.recordingInfo = message.recording;
    this.emit('recording', message.recording);
    this.setupMedia();
    this.updateStatus();
  }

  private onError(message: ErrorMessage): void {
    if (this.layers.refused(message.reply_to ?? undefined)) {
      console.warn(`visio: layers refused: ${message.message}`);
      return;
    }
    this.pub?.refused(message.reply_to, { code: message.code, message: message.message, fatal: message.fatal });
    if (message.fatal) {
      // `removed`, `meeting_ended`, `room_locked` and the like: the server closes the socket and
      // the channel does not reconnect; neither does the session rejoin.
      this.emit('error', { code: message.code, message: message.message, fatal: true });
      this.finish('failed');
      return;
    }
    if (message.code === 'service_unavailable') {
      // The server holds the socket until it can place the room, then answers the join.
      this.setServerNotice('unavailable');
      return;
    }
    if (message.code === 'media_unavailable') {
      // The server brings the media engine back and sends `media.reset`.
      this.mediaInterrupted = true;
      this.updateStatus();
      return;
    }
    console.warn(`visio: server error ${message.code}: ${message.message}`, message.details ?? '');
    const request = message.reply_to === undefined ? undefined : this.requests.get(message.reply_to);
    if (message.reply_to !== undefined) this.requests.delete(message.reply_to);
    if (request === 'chat') {
      const text = message.reply_to === undefined ? null : (this.chatTexts.get(message.reply_to) ?? null);
      if (message.reply_to !== undefined) this.chatTexts.delete(message.reply_to);
      this.emit('chat-error', { code: message.code, message: message.message, fatal: false, request }, text);
      return;
    }
    if (REPORTED_ERROR_CODES.has(message.code) || (message.code === 'rate_limited' && request === 'reaction')) {
      this.emit('error', { code: message.code, message: message.message, fatal: false, ...(request ? { request } : {}) });
    }
  }

  // ---- peer connections and their recovery ----

  /** (Re)creates the publisher with the current tracks and publishes; the subscriber follows the server's next offer. */
  private setupMedia(): void {
    const prepared = this.generation === 0 && this.pub?.preparedOffer ? this.pub : null;
    if (prepared) {
      // Keep the publisher built in start(); now that we know the ICE servers, use them.
      this.generation++;
      this.closeSubscriber();
      try {
        prepared.pc.setConfiguration({ ...prepared.pc.getConfiguration(), iceServers: this.iceServers });
      } catch (error) {
        console.warn('visio: the ICE servers were refused', error);
      }
    } else {
      this.teardownMedia();
      this.pub = this.createPublisher(this.iceServers);
    }
    const pub = this.pub;
    if (pub) this.onPublisher(pub, (isCurrent) => this.negotiatePublisher(pub, isCurrent));
    this.emitTracks();
  }

  private createPublisher(iceServers: RTCIceServer[]): Publisher {
    const pub = new Publisher({
      createPeerConnection: this.createPeerConnection,
      iceServers,
      microphoneTrack: this.local.microphoneTrack,
      cameraTrack: this.local.cameraTrack,
      screenTrack: this.local.screenTrack,
      send: (message) => this.signaling.send(message),
    });
    this.watchPeerConnection(pub.pc, 'publisher');
    if (this.pausedCamera) setEncodingsActive(pub.camera.sender, false);
    return pub;
  }

  private ensureSubscriber(): Subscriber | null {
    if (this.sub) return this.sub;
    if (!this.joined) return null;
    const sub = new Subscriber({
      createPeerConnection: this.createPeerConnection,
      iceServers: this.iceServers,
      send: (message) => this.signaling.send(message),
      onTrack: (event) => {
        this.emitTracks();
        this.watchFirstMedia(sub, event);
      },
    });
    this.watchPeerConnection(sub.pc, 'subscriber');
    this.sub = sub;
    return sub;
  }

  /** Tells the layers when a remote video's media starts (its track unmutes), so it may be raised. */
  private watchFirstMedia(sub: Subscriber, event: RTCTrackEvent): void {
    const { track, transceiver } = event;
    if (track.kind !== 'video') return;
    const started = () => {
      if (this.sub === sub && transceiver.mid !== null) this.layers.flowing(transceiver.mid);
    };
    if (!track.muted) started();
    track.addEventListener('unmute', started);
  }

  /** Follows a peer connection's state: the status, and an ICE restart when it fails or stays disconnected. */
  private watchPeerConnection(pc: RTCPeerConnection, target: Target): void {
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') {
        markOnce(`visio:${target}-connected`);
        reportSelectedPath(pc, target, (message) => this.signaling.send(message)).catch(() => undefined);
      }
      this.updateStatus();
      const timer = this.iceTimers.get(pc);
      if (timer !== undefined) clearTimeout(timer);
      this.iceTimers.delete(pc);
      if (pc.connectionState === 'failed') this.restartIce(pc, target);
      else if (pc.connectionState === 'disconnected') {
        this.iceTimers.set(
          pc,
          setTimeout(() => {
            this.iceTimers.delete(pc);
            if (pc.connectionState === 'disconnected') this.restartIce(pc, target);
          }, ICE_DISCONNECTED_GRACE_MS),
        );
      }
    };
  }

  private restartIce(pc: RTCPeerConnection, target: Target): void {
    if (this.finished || !this.joined || this.mediaInterrupted) return;
    if (target === 'subscriber') {
      if (this.sub?.pc === pc) this.signaling.send({ type: 'ice.restart', target: 'subscriber' });
      return;
    }
    const pub = this.pub;
    if (pub?.pc === pc) {
      this.onPublisher(pub, (isCurrent) => this.negotiatePublisher(pub, isCurrent, { iceRestart: true }));
    }
  }

  /**
   * Queues a publisher step, skipped when the publisher was replaced meanwhile. `isCurrent` tells
   * the step whether it still is, as it goes.
   */
  private onPublisher(pub: Publisher, step: (isCurrent: () => boolean) => Promise<void>): void {
    const generation = this.generation;
    const isCurrent = () => generation === this.generation && this.pub === pub;
    pub.enqueue(
      () => (isCurrent() ? step(isCurrent) : Promise.resolve()),
      (error: unknown) => this.onPublisherFailure(pub, error),
    );
  }

  private onSubscriber(sub: Subscriber, step: () => Promise<void>): void {
    sub.enqueue(
      () => (this.sub === sub ? step() : Promise.resolve()),
      (error: unknown) => {
        if (this.sub !== sub) return;
        console.error('visio: subscriber negotiation failed', error);
        this.emit('error', { code: 'media_failed', message: describe(error), fatal: false });
      },
    );
  }

  private async negotiatePublisher(pub: Publisher, isCurrent: () => boolean, options: RTCOfferOptions = {}): Promise<void> {
    if (await pub.negotiate(isCurrent, options)) this.publishRetries = 0;
  }

  private onPublisherFailure(pub: Publisher, error: unknown): void {
    if (this.pub !== pub || this.finished) return;
    const code = isSessionError(error) ? error.code : 'media_failed';
    if (code === 'media_unavailable') return; // `media.reset` follows.
    console.error('visio: publishing failed', error);
    this.emit('error', { code, message: describe(error), fatal: false });
    // The publisher is left half-negotiated: start it afresh, a few times.
    if (this.publishRetries < 3 && this.joined) {
      const generation = this.generation;
      setTimeout(() => {
        if (generation !== this.generation || this.pub !== pub || this.finished) return;
        this.publishRetries++;
        this.setupMedia();
      }, 1000 * 2 ** this.publishRetries);
    }
  }

  private async answerSubscriberOffer(sub: Subscriber, offer: SubscriberOffer): Promise<void> {
    // Set the mapping first: `track` events fire during setRemoteDescription.
    this.remoteStreams.setStreams(offer.streams);
    if (await sub.answer(offer.sdp, () => this.sub === sub)) {
      markOnce('visio:subscriber-answer');
      this.emitTracks();
      this.layers.offered(new Set(offer.streams.filter((s) => s.kind === 'video').map((s) => s.mid)));
    }
  }

  private closeSubscriber(): void {
    if (!this.sub) return;
    this.sub.close();
    this.sub = null;
    this.remoteStreams.clear();
    this.layers.reset();
  }

  /** Closes both peer connections; local tracks stay (they are published again). */
  private teardownMedia(): void {
    this.generation++;
    if (this.pub) {
      this.pub.close();
      this.pub = null;
    }
    this.closeSubscriber();
    for (const timer of this.iceTimers.values()) clearTimeout(timer);
    this.iceTimers.clear();
    this.emitTracks();
  }

  private finish(outcome: 'left' | 'failed'): void {
    if (this.finished) return;
    this.finished = outcome;
    this.iceRefresh.stop();
    this.teardownMedia();
    this.signaling.close();
    for (const off of this.unsubscribe.splice(0)) off();
    this.local.stop();
    this.joined = false;
    this.updateStatus();
  }

  // ---- state out ----

  private sendMediaState(): void {
    if (this.joined) this.signaling.send({ type: 'media.state', audio: this.local.audio, video: this.local.video && !this.cameraPaused });
  }

  private emitLocal(): void {
    this.emit('local', this.localState);
  }

  private emitTracks(): void {
    const transceivers = this.sub?.pc.getTransceivers() ?? [];
    const present = new Set(this.participants.map((p) => p.id));
    this.remoteTracks = this.remoteStreams.resolve(transceivers).filter((t) => present.has(t.participantId));
    this.emit('tracks', this.remoteTracks);
  }

  private reportMediaError(code: string, error: unknown): void {
    console.warn(`visio: ${code}`, error);
    this.emit('error', { code, message: describe(error), fatal: false });
  }

  private setServerNotice(notice: ServerNotice): void {
    if (notice === this.serverNotice) return;
    this.serverNotice = notice;
    this.emit('server-notice', notice);
  }

  private updateStatus(): void {
    const status = this.computeStatus();
    this.followIceRecovery(status);
    if (status === this.status) return;
    this.status = status;
    this.emit('status', status);
  }

  /** Starts the rejoin timer when the media went down with the socket up; stops it otherwise. */
  private followIceRecovery(status: ConnectionStatus): void {
    const mediaDown = status === 'reconnecting' && !this.socketDown && !this.mediaInterrupted && this.joined;
    if (!mediaDown) {
      if (this.iceRecoveryTimer !== null) clearTimeout(this.iceRecoveryTimer);
      this.iceRecoveryTimer = null;
      return;
    }
    if (this.iceRecoveryTimer !== null) return;
    this.iceRecoveryTimer = setTimeout(() => {
      this.iceRecoveryTimer = null;
      if (this.computeStatus() !== 'reconnecting' || this.socketDown || this.finished) return;
      console.warn('visio: the media did not come back after an ICE restart; rejoining on a new socket');
      this.signaling.reconnectNow();
    }, ICE_RECOVERY_TIMEOUT_MS);
  }

  private computeStatus(): ConnectionStatus {
    if (this.finished) return this.finished;
    if (this.socketDown || this.mediaInterrupted) return 'reconnecting';
    if (!this.joined) return 'connecting';
    const states = [this.pub?.pc.connectionState, this.sub?.pc.connectionState];
    if (states.some((state) => state === 'failed' || state === 'disconnected')) return 'reconnecting';
    return 'connected';
  }
}

/** Turns every encoding of a sender on or off (no renegotiation); a failure only goes to the console. */
function setEncodingsActive(sender: RTCRtpSender, active: boolean): void {
  const parameters = sender.getParameters();
  if (!parameters.encodings?.length) return; // Before negotiation: the next publisher applies it.
  for (const encoding of parameters.encodings) encoding.active = active;
  sender.setParameters(parameters).catch((error: unknown) => console.warn('visio: could not pause the camera', error));
}

function isSessionError(value: unknown): value is SessionError {
  return typeof value === 'object' && value !== null && 'code' in value && 'fatal' in value;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (isSessionError(error)) return error.message;
  return String(error);
}

/** A performance mark for the first time something happens (bench/meeting.py reads them). */
function markOnce(name: string): void {
  if (performance.getEntriesByName(name).length === 0) performance.mark(name);
}
