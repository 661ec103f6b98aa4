import { useCallback, useEffect, useRef, useState } from 'react';
import { QUALITY_INTERVAL_MS } from '../room/connectionQuality';
import { LinkAdapter, linkSample, type LinkModes, type LinkStatsEntry } from '../room/linkAdaptation';
import type { Layer } from '../room/protocol';
import type { RoomSession } from '../room/session';

/** The highest camera layer received in each receiving mode. */
export const RECEIVE_CAP: Readonly<Record<LinkModes['receive'], Layer>> = { full: 'high', low: 'low', audio: 'off' };

export interface LinkAdaptation {
  modes: LinkModes;
  /** The person chose to keep video whatever the link. */
  keepVideo: boolean;
  setKeepVideo: (keep: boolean) => void;
}

/**
 * Whether the page adapts to a poor link. A debugging aid and the bench's "without" case:
 * `?adapt=off` in the address, or `localStorage['visio.adapt'] = 'off'`.
 */
export function linkAdaptationEnabled(): boolean {
  try {
    if (new URLSearchParams(window.location.search).get('adapt') === 'off') return false;
    return window.localStorage.getItem('visio.adapt') !== 'off';
  } catch {
    return true; // storage can be disabled
  }
}

async function entries(pc: RTCPeerConnection | null): Promise<LinkStatsEntry[] | null> {
  if (!pc || pc.connectionState === 'closed') return null;
  return [...(await pc.getStats()).values()] as LinkStatsEntry[];
}

/**
 * Samples both peer connections every `QUALITY_INTERVAL_MS`, feeds `LinkAdapter`
 * (`room/linkAdaptation.ts`) and applies its sending mode (the camera paused on a weak uplink);
 * the receiving mode is returned for the layer selection to cap the cameras' layers.
 */
export function useLinkAdaptation(session: RoomSession): LinkAdaptation {
  const adapter = useRef(new LinkAdapter());
  const [modes, setModes] = useState<LinkModes>(() => adapter.current.modes);
  const [keepVideo, setKeep] = useState(false);

  useEffect(() => {
    if (!linkAdaptationEnabled()) return;
    let stopped = false;
    let connections: [RTCPeerConnection | null, RTCPeerConnection | null] = [null, null];
    const sampleOnce = async () => {
      const sub = session.subscriber;
      const pub = session.publisher;
      // New peer connections restart their counters: start a fresh interval.
      if (sub !== connections[0] || pub !== connections[1]) adapter.current.reset();
      connections = [sub, pub];
      const at = performance.now();
      const [inbound, outbound] = await Promise.all([entries(sub), entries(pub)]);
      if (stopped) return;
      const next = adapter.current.update(linkSample(inbound, outbound, at));
      session.setCameraPaused(next.send === 'audio');
      setModes((current) => (current.receive === next.receive && current.send === next.send ? current : next));
    };
    const timer = setInterval(() => {
      sampleOnce().catch((error: unknown) => console.warn('visio: could not read the statistics for link adaptation', error));
    }, QUALITY_INTERVAL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
      session.setCameraPaused(false);
    };
  }, [session]);

  const setKeepVideo = useCallback(
    (keep: boolean) => {
      const next = adapter.current.setKeepVideo(keep);
      setKeep(keep);
      session.setCameraPaused(next.send === 'audio');
      setModes(next);
    },
    [session],
  );

  return { modes, keepVideo, setKeepVideo };
}
