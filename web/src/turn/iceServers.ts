/**
 * Fresh ICE servers during a long meeting. The TURN credential the server hands out in `joined`
 * is short-lived (`VISIO_TURN_CREDENTIAL_TTL_SECONDS`); relays already open keep working, but an
 * ICE restart after it expired could not open new ones. So, once `refresh_seconds` have passed,
 * the client asks again (`ice.servers`) and gives the answer to its peer connections, where it
 * serves from the next ICE restart. Plain TypeScript, no UI.
 */

/** The longest wait a timer accepts: a larger delay would fire at once. */
const MAX_DELAY_MS = 2_147_483_647;

export class IceServerRefresh {
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `ask` sends `ice.servers` (when the socket is down, the rejoin's `joined` brings new ones). */
  constructor(private readonly ask: () => void) {}

  /** Ask again after `seconds` (none: nothing expires, never ask). Replaces any earlier plan. */
  schedule(seconds: number | null | undefined): void {
    this.stop();
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ask();
    }, Math.min(seconds * 1000, MAX_DELAY_MS));
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Hands new ICE servers to live peer connections (used from their next ICE restart). */
export function applyIceServers(connections: (RTCPeerConnection | null)[], iceServers: RTCIceServer[]): void {
  for (const pc of connections) {
    if (!pc || pc.connectionState === 'closed') continue;
    try {
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
    } catch (error) {
      console.warn('visio: the new ICE servers were refused', error);
    }
  }
}
