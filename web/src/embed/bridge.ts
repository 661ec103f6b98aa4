import { Emitter } from '../room/emitter';
import type { ParticipantInfo } from '../room/protocol';
import type { RoomSession } from '../room/session';
import { isAllowedOrigin } from './origins';
import {
  checkDisplayName,
  envelope,
  isEmbedMessage,
  parseCommand,
  type EmbedEvent,
  type EmbedParticipant,
} from './protocol';

/** What the embedding page asked: join under this name, at once or from the pre-join screen. */
export interface EmbedJoinRequest {
  displayName: string;
  skipPreJoin: boolean;
}

export type EmbedBridgeEvents = {
  join: (request: EmbedJoinRequest) => void;
  setAudioMuted: (muted: boolean) => void;
  setVideoMuted: (muted: boolean) => void;
  leave: () => void;
};

/** The parts of `window` the bridge uses (a test hands in its own). */
export interface BridgeWindow {
  parent: Pick<Window, 'postMessage'>;
  location: { ancestorOrigins?: ArrayLike<string> | undefined };
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** The parts of a room session the bridge reports on. */
export type BridgeSession = Pick<RoomSession, 'on' | 'self' | 'participants' | 'localState'>;

/**
 * The meeting's side of the embedding API, for a Visio page framed by a page of an allowed origin.
 *
 * A message counts only when it comes from the parent window (`event.source`), from an origin in
 * `VISIO_FRAME_ANCESTORS`, and, once the embedding page is known, from that very origin; it must
 * then pass `parseCommand`. Other messages are ignored (the first one is logged to the console,
 * to help whoever sets an embedding up). Events go to the embedding page's exact origin, never
 * to "*": the parent's origin comes from `location.ancestorOrigins` where the browser has it, else
 * from its first valid message (the library's `hello`).
 */
export class EmbedBridge extends Emitter<EmbedBridgeEvents> {
  /** The embedding page's origin, once known; nothing is posted before. */
  private embedder: string | null = null;
  private loggedIgnored = false;
  private readonly listener = (event: MessageEvent) => this.onMessage(event);
  /** A join asked before the pre-join screen was there to take it. */
  private pendingJoin: EmbedJoinRequest | null = null;

  constructor(
    private readonly win: BridgeWindow,
    private readonly allowed: readonly string[],
    private readonly room: string,
  ) {
    super();
  }

  /** Whether this page runs in a frame that an allowed origin may drive. */
  static applies(win: Window, allowed: readonly string[]): boolean {
    return allowed.length > 0 && win.parent !== win;
  }

  /** Starts listening; says `ready` at once when the browser tells the parent's origin. */
  start(): void {
    this.win.addEventListener('message', this.listener);
    const parentOrigin = this.win.location.ancestorOrigins?.[0];
    if (parentOrigin !== undefined && isAllowedOrigin(parentOrigin, this.allowed)) {
      this.embedder = parentOrigin;
      this.post({ type: 'ready', room: this.room });
    }
  }

  stop(): void {
    this.win.removeEventListener('message', this.listener);
  }

  /** The join asked before anyone could act on it, handed over once (to the pre-join screen). */
  takePendingJoin(): EmbedJoinRequest | null {
    const request = this.pendingJoin;
    this.pendingJoin = null;
    return request;
  }

  /** Tells the embedding page something (dropped until its origin is known). */
  post(event: EmbedEvent): void {
    if (this.embedder === null) return;
    this.win.parent.postMessage(envelope(event), this.embedder);
  }

  /**
   * Reports one meeting's events to the embedding page until the returned function is called:
   * `joined` (again after each reconnection, with the new id), arrivals and departures, the
   * microphone and camera, `left`, `ended` and fatal errors.
   */
  attach(session: BridgeSession): () => void {
    let selfId: string | null = null;
    let audio = session.localState.audio;
    let video = session.localState.video;
    const joined = (self: ParticipantInfo | null) => {
      if (!self || self.id === selfId) return;
      selfId = self.id;
      this.post({
        type: 'joined',
        participantId: self.id,
        participants: session.participants.map(describe),
        audioMuted: !session.localState.audio,
        videoMuted: !session.localState.video,
      });
    };
    // The server may have answered before the page attached (a React effect runs after paint).
    joined(session.self);
    const offs = [
      session.on('self', joined),
      session.on('participant-joined', (participant) => this.post({ type: 'participantJoined', ...describe(participant) })),
      session.on('participant-left', (participant) => this.post({ type: 'participantLeft', ...describe(participant) })),
      session.on('local', (state) => {
        if (state.audio !== audio) this.post({ type: 'audioMutedChanged', muted: !state.audio });
        if (state.video !== video) this.post({ type: 'videoMutedChanged', muted: !state.video });
        audio = state.audio;
        video = state.video;
      }),
      session.on('status', (status) => {
        if (status === 'left') this.post({ type: 'left' });
      }),
      session.on('error', (error) => {
        if (!error.fatal) return;
        if (error.code === 'meeting_ended') this.post({ type: 'ended' });
        else this.post({ type: 'error', code: error.code, message: error.message });
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  private onMessage(event: MessageEvent): void {
    const fromParent = event.source === this.win.parent;
    const origin = event.origin;
    if (!fromParent || !isAllowedOrigin(origin, this.allowed) || (this.embedder !== null && origin !== this.embedder)) {
      if (!this.loggedIgnored && isEmbedMessage(event.data)) {
        this.loggedIgnored = true;
        console.warn(
          `visio embed: ignored a message from ${origin || 'an unknown origin'}` +
            (fromParent ? ' (not listed in VISIO_FRAME_ANCESTORS)' : ' (not the embedding page)'),
        );
      }
      return;
    }
    if (this.embedder === null) this.embedder = origin;
    const parsed = parseCommand(event.data);
    if (!parsed.ok) {
      this.post({ type: 'error', code: parsed.code, message: parsed.reason });
      return;
    }
    const command = parsed.message;
    switch (command.type) {
      case 'hello':
        this.post({ type: 'ready', room: this.room });
        return;
      case 'join': {
        const name = checkDisplayName(command.displayName);
        if (!name.ok) {
          this.post({ type: 'error', code: 'invalid_name', message: name.reason });
          return;
        }
        const request = { displayName: name.name, skipPreJoin: command.skipPreJoin };
        this.pendingJoin = request;
        this.emit('join', request);
        return;
      }
      case 'setAudioMuted':
        this.emit('setAudioMuted', command.muted);
        return;
      case 'setVideoMuted':
        this.emit('setVideoMuted', command.muted);
        return;
      case 'leave':
        this.emit('leave');
        return;
    }
  }
}

function describe(participant: ParticipantInfo): EmbedParticipant {
  return { id: participant.id, displayName: participant.name };
}
