/**
 * Whether a peer connection's media goes through a TURN relay, and how this browser reaches the
 * relay (UDP, TCP or TLS), from `getStats()`: the selected candidate pair's local candidate is of
 * type `relay`, and its `relayProtocol` says how the browser talks to the TURN server. Pure.
 */

export type RelayProtocol = 'udp' | 'tcp' | 'tls';

/** The fields of `RTCStats` entries read here (all optional: browsers differ). */
export interface PathStatsEntry {
  id: string;
  type: string;
  selectedCandidatePairId?: string;
  localCandidateId?: string;
  nominated?: boolean;
  state?: string;
  candidateType?: string;
  relayProtocol?: string;
  protocol?: string;
}

export interface MediaPath {
  /** `host`, `srflx`, `prflx` or `relay`: the local candidate of the selected pair. */
  candidateType: string;
  /** Through a TURN relay: how this browser reaches it; null when direct. */
  relay: RelayProtocol | null;
}

/** The selected candidate pair's path, or null before ICE has selected one. */
export function selectedPath(entries: readonly PathStatsEntry[]): MediaPath | null {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  let pair: PathStatsEntry | undefined;
  for (const entry of entries) {
    if (entry.type === 'transport' && entry.selectedCandidatePairId) pair = byId.get(entry.selectedCandidatePairId);
  }
  pair ??= entries.find((entry) => entry.type === 'candidate-pair' && entry.nominated && entry.state === 'succeeded');
  const local = pair?.localCandidateId ? byId.get(pair.localCandidateId) : undefined;
  if (!local?.candidateType) return null;
  if (local.candidateType !== 'relay') return { candidateType: local.candidateType, relay: null };
  const protocol = local.relayProtocol;
  const relay: RelayProtocol = protocol === 'tcp' || protocol === 'tls' ? protocol : 'udp';
  return { candidateType: 'relay', relay };
}

/**
 * Tells the server which path a peer connection took (`media.path`, counted in `/metrics`), once
 * ICE has selected a pair. `connected` can come before the statistics name the selected pair (seen
 * on a busy machine), so an empty answer is asked again, `attempts` times `retryMs` apart. Best
 * effort: statistics that cannot be read are not reported. Resolves to whether it reported.
 */
export async function reportSelectedPath(
  pc: RTCPeerConnection,
  target: 'publisher' | 'subscriber',
  send: (message: { type: 'media.path'; target: 'publisher' | 'subscriber'; candidate_type: 'host' | 'srflx' | 'prflx' | 'relay'; relay_protocol?: RelayProtocol }) => void,
  { attempts = 20, retryMs = 250 }: { attempts?: number; retryMs?: number } = {},
): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    const entries = [...(await pc.getStats()).values()] as PathStatsEntry[];
    const path = selectedPath(entries);
    const type = path?.candidateType;
    if (type === 'host' || type === 'srflx' || type === 'prflx' || type === 'relay') {
      send({ type: 'media.path', target, candidate_type: type, ...(path?.relay ? { relay_protocol: path.relay } : {}) });
      return true;
    }
    if (attempt >= attempts || pc.connectionState === 'closed') return false;
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}
