import { setPreferredCodec } from './codecs';
import { candidateQueues, closePeerConnection, rtcConfiguration } from './peerConnection';
import type { PendingQueue } from './pendingQueue';
import type { ClientMessage, IceCandidate, RequestId, TrackInfo } from './protocol';

/** Camera simulcast layers (docs/protocol.md). */
export const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'h', maxBitrate: 900_000 },
  { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 300_000 },
  { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 100_000 },
];

export const PUBLISH_ANSWER_TIMEOUT_MS = 20_000;

/** Why publishing failed, in the session's error shape. */
export interface PublishError {
  code: string;
  message: string;
  fatal: boolean;
}

interface PendingAnswer {
  id: RequestId;
  resolve: (sdp: string) => void;
  reject: (error: PublishError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface PublisherOptions {
  createPeerConnection: (configuration: RTCConfiguration) => RTCPeerConnection;
  iceServers: RTCIceServer[];
  microphoneTrack: MediaStreamTrack | null;
  cameraTrack: MediaStreamTrack | null;
  screenTrack: MediaStreamTrack | null;
  /** Sends a message to the server; returns its request id, or null when the socket is not open. */
  send: (message: ClientMessage) => RequestId | null;
}

/**
 * The publisher peer connection: this person's microphone, camera (simulcast) and screen, sent to
 * the media engine. Transceivers keep their mids for the connection's life (a stopped camera is a
 * null track, an ended screen share an inactive transceiver). Negotiations run one at a time, in
 * `enqueue` order.
 */
export class Publisher {
  readonly pc: RTCPeerConnection;
  readonly microphone: RTCRtpTransceiver;
  readonly camera: RTCRtpTransceiver;
  screen: RTCRtpTransceiver | null = null;
  /** An offer made before `joined` (while the WebSocket opens) to save time. */
  preparedOffer: Promise<RTCSessionDescriptionInit> | null = null;
  readonly remoteCandidates: PendingQueue<IceCandidate | null>;
  readonly localCandidates: PendingQueue<IceCandidate | null>;
  private pendingAnswer: PendingAnswer | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly send: (message: ClientMessage) => RequestId | null;

  constructor(options: PublisherOptions) {
    this.send = options.send;
    const pc = options.createPeerConnection(rtcConfiguration(options.iceServers));
    this.pc = pc;
    this.microphone = pc.addTransceiver(options.microphoneTrack ?? 'audio', { direction: 'sendonly' });
    setPreferredCodec(this.microphone, 'audio', 'audio/opus');
    this.camera = pc.addTransceiver(options.cameraTrack ?? 'video', {
      direction: 'sendonly',
      sendEncodings: CAMERA_ENCODINGS.map((encoding) => ({ ...encoding })),
    });
    setPreferredCodec(this.camera, 'video', 'video/VP8');
    if (options.screenTrack) {
      this.screen = pc.addTransceiver(options.screenTrack, { direction: 'sendonly' });
      setPreferredCodec(this.screen, 'video', 'video/VP8');
    }
    ({ remoteCandidates: this.remoteCandidates, localCandidates: this.localCandidates } = candidateQueues(
      pc,
      (candidate) => this.send({ type: 'trickle', target: 'publisher', candidate }),
    ));
  }

  /** Runs `step` after the steps already queued; `onFailure` gets its error. */
  enqueue(step: () => Promise<void>, onFailure: (error: unknown) => void): void {
    this.chain = this.chain.then(step).catch(onFailure);
  }

  /**
   * Offers (the prepared offer when it still applies), sends `publish` and applies the answer.
   * Returns false when it stopped early: `isCurrent()` turned false, or the socket was not open
   * (rejoining publishes again). Rejects when the server refuses or does not answer in time.
   */
  async negotiate(isCurrent: () => boolean, options: RTCOfferOptions = {}): Promise<boolean> {
    const prepared = this.preparedOffer;
    this.preparedOffer = null;
    let applied = false;
    if (prepared && !options.iceRestart) {
      try {
        await this.pc.setLocalDescription(await prepared);
        applied = true;
      } catch {
        // The transceivers changed since the offer was made: make a fresh one below.
      }
    }
    if (!applied) await this.pc.setLocalDescription(await this.pc.createOffer(options));
    if (!isCurrent()) return false;
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) return false;
    const id = this.send({ type: 'publish', sdp, tracks: this.publishedTracks() });
    if (id === null) return false;
    this.localCandidates.open();
    const answer = await this.waitForAnswer(id);
    if (!isCurrent()) return false;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    this.remoteCandidates.open();
    return true;
  }

  /** The server's `publish.answer` (to the pending `publish` when it says which). */
  answered(replyTo: RequestId | undefined, sdp: string): void {
    const pending = this.pendingAnswer;
    if (pending && (replyTo === undefined || replyTo === pending.id)) pending.resolve(sdp);
  }

  /** The server refused a request; when it is the pending `publish`, negotiating fails with `error`. */
  refused(replyTo: RequestId | undefined, error: PublishError): void {
    const pending = this.pendingAnswer;
    if (pending && replyTo !== undefined && replyTo === pending.id) pending.reject(error);
  }

  /** Sends `track` as the screen (a new transceiver, or the inactive one again); renegotiate next. */
  async attachScreen(track: MediaStreamTrack): Promise<void> {
    if (this.screen) {
      this.screen.direction = 'sendonly';
      await this.screen.sender.replaceTrack(track);
    } else {
      this.screen = this.pc.addTransceiver(track, { direction: 'sendonly' });
      setPreferredCodec(this.screen, 'video', 'video/VP8');
    }
  }

  /**
   * Stops sending the screen (its transceiver goes inactive, keeping its mid). Returns false when
   * there was none; renegotiate next otherwise.
   */
  async detachScreen(): Promise<boolean> {
    if (!this.screen) return false;
    await this.screen.sender.replaceTrack(null);
    this.screen.direction = 'inactive';
    return true;
  }

  /** Closes the connection; a negotiation waiting for its answer fails. */
  close(): void {
    this.pendingAnswer?.reject({ code: 'media_failed', message: 'The publisher was closed', fatal: false });
    closePeerConnection(this.pc);
  }

  /** The `tracks` list of a `publish`: microphone and camera always (stable mids), the screen while shared. */
  publishedTracks(): TrackInfo[] {
    const tracks: TrackInfo[] = [];
    if (this.microphone.mid !== null) tracks.push({ mid: this.microphone.mid, source: 'microphone' });
    if (this.camera.mid !== null) tracks.push({ mid: this.camera.mid, source: 'camera' });
    const screen = this.screen;
    if (screen?.mid != null && screen.direction === 'sendonly' && screen.sender.track) {
      tracks.push({ mid: screen.mid, source: 'screen' });
    }
    return tracks;
  }

  private waitForAnswer(id: RequestId): Promise<string> {
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(pending.timer);
        if (this.pendingAnswer === pending) this.pendingAnswer = null;
      };
      const pending: PendingAnswer = {
        id,
        resolve: (sdp) => {
          settle();
          resolve(sdp);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        timer: setTimeout(
          () => pending.reject({ code: 'media_failed', message: 'No answer to publish', fatal: false }),
          PUBLISH_ANSWER_TIMEOUT_MS,
        ),
      };
      this.pendingAnswer = pending;
    });
  }
}
