import { PendingQueue } from './pendingQueue';
import { candidateFields, type IceCandidate } from './protocol';

/** What both of a participant's peer connections share: the configuration and ICE candidate plumbing. */

export function rtcConfiguration(iceServers: RTCIceServer[]): RTCConfiguration {
  return { iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
}

/** A peer connection's two ICE candidate queues, wired to `pc`. Both start closed. */
export interface CandidateQueues {
  /** The server's candidates, held until the remote description is set. */
  remoteCandidates: PendingQueue<IceCandidate | null>;
  /** Ours, held until the offer or answer they belong to has been sent. */
  localCandidates: PendingQueue<IceCandidate | null>;
}

export function candidateQueues(
  pc: RTCPeerConnection,
  sendCandidate: (candidate: IceCandidate | null) => void,
): CandidateQueues {
  const remoteCandidates = new PendingQueue<IceCandidate | null>((candidate) => addRemoteCandidate(pc, candidate));
  const localCandidates = new PendingQueue<IceCandidate | null>(sendCandidate);
  pc.onicecandidate = (event) => {
    // Chrome may signal the end of a generation with an empty candidate; null says it once.
    if (event.candidate && !event.candidate.candidate) return;
    localCandidates.push(event.candidate ? candidateFields(event.candidate.toJSON()) : null);
  };
  return { remoteCandidates, localCandidates };
}

function addRemoteCandidate(pc: RTCPeerConnection, candidate: IceCandidate | null): void {
  if (pc.signalingState === 'closed') return;
  const added = candidate ? pc.addIceCandidate(candidate) : pc.addIceCandidate();
  added.catch((error: unknown) => {
    // A candidate the browser cannot use is not fatal: others will do.
    if (candidate) console.warn('visio: ignored a remote ICE candidate', candidate.candidate, error);
  });
}

export function closePeerConnection(pc: RTCPeerConnection): void {
  pc.onicecandidate = null;
  pc.onconnectionstatechange = null;
  pc.ontrack = null;
  pc.close();
}
