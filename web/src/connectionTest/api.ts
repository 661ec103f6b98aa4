/** `POST /api/v1/rooms/{slug}/connection-test`: ICE servers for the test, with a TURN credential of its own. */
import { request } from '../api/rooms';

export interface ConnectionTestServers {
  ice_servers: RTCIceServer[];
  /** Visio runs a TURN server (without one there is no relay to test). */
  relay: boolean;
  expires_at: number | null;
}

/** Asks for the test's ICE servers; a signed-in person's CSRF token goes with it. */
export function startConnectionTest(slug: string, csrfToken: string | null): Promise<ConnectionTestServers> {
  const headers: Record<string, string> = csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
  return request<ConnectionTestServers>(`/api/v1/rooms/${encodeURIComponent(slug)}/connection-test`, {
    method: 'POST',
    credentials: 'same-origin',
    headers,
  });
}
