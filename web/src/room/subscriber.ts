import { candidateQueues, closePeerConnection, rtcConfiguration } from './peerConnection';
import type { PendingQueue } from './pendingQueue';
import type { ClientMessage, IceCandidate, RequestId } from './protocol';

export interface SubscriberOptions {
  createPeerConnection: (configuration: RTCConfiguration) => RTCPeerConnection;
  iceServers: RTCIceServer[];
  /** Sends a message to the server; returns its request id, or null when the socket is not open. */
  send: (message: ClientMessage) => RequestId | null;
  /** A remote track arrived. */
  onTrack: (event: RTCTrackEvent) => void;
}

/**
 * The subscriber peer connection: everyone else's streams, in one multistream connection that the
 * server offers (`subscriber.offer`) and this client answers. Answers run one at a time.
 */
export class Subscriber {
  readonly pc: RTCPeerConnection;
  readonly remoteCandidates: PendingQueue<IceCandidate | null>;
  readonly localCandidates: PendingQueue<IceCandidate | null>;
  private chain: Promise<void> = Promise.resolve();
  private readonly send: (message: ClientMessage) => RequestId | null;

  constructor(options: SubscriberOptions) {
    this.send = options.send;
    const pc = options.createPeerConnection(rtcConfiguration(options.iceServers));
    this.pc = pc;
    ({ remoteCandidates: this.remoteCandidates, localCandidates: this.localCandidates } = candidateQueues(
      pc,
      (candidate) => this.send({ type: 'trickle', target: 'subscriber', candidate }),
    ));
    pc.ontrack = (event) => options.onTrack(event);
  }

  /** Runs `step` after the steps already queued; `onFailure` gets its error. */
  enqueue(step: () => Promise<void>, onFailure: (error: unknown) => void): void {
    this.chain = this.chain.then(step).catch(onFailure);
  }

  /**
   * Applies the server's offer and sends the answer. Returns false when `isCurrent()` turned false
   * on the way (the answer is then not sent).
   */
  async answer(sdp: string, isCurrent: () => boolean): Promise<boolean> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    this.remoteCandidates.open();
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    if (!isCurrent()) return false;
    const answer = this.pc.localDescription?.sdp;
    if (answer && this.send({ type: 'subscriber.answer', sdp: answer }) !== null) this.localCandidates.open();
    return true;
  }

  close(): void {
    closePeerConnection(this.pc);
  }
}
