import { createRoot } from 'react-dom/client';
import { lookUpRoom, type RoomLookup } from './api/rooms';
import { I18nProvider } from './i18n/I18nProvider';
import type { RoomSession } from './room/session';
import { roomSocketUrl, SignalingChannel } from './room/signaling';
import { App } from './ui/App';
import { AuthProvider } from './ui/AuthProvider';
import { matchRoute } from './ui/router';
import './ui/styles.css';
import { EmbedBridge } from './embed/bridge';
import { EmbedProvider } from './embed/EmbedProvider';
import { readAllowedOrigins } from './embed/origins';

declare global {
  interface Window {
    /** For end-to-end tests and benchmarks: the current room session, or null. */
    visio: { session: RoomSession | null };
  }
}

window.visio = { session: null };

// On a meeting link, look the room up before the first render (capped, in case the server is slow):
// the page then opens straight on pre-join or on the error, without a loading step. The room's
// WebSocket opens at the same time: an unjoined socket announces nobody, and "Join" then never
// waits for the handshake. `result` only spares a first "Loading…": the page itself always follows
// `lookup`, which may settle at any moment after this race.
const route = matchRoute(window.location.pathname);
// Framed by a site of VISIO_FRAME_ANCESTORS: listen to it from the start (docs/embedding.md).
const embedOrigins = readAllowedOrigins(document);
const embedBridge =
  route.page === 'room' && EmbedBridge.applies(window, embedOrigins) ? new EmbedBridge(window, embedOrigins, route.slug) : null;
embedBridge?.start();
let initialRoom:
  | { slug: string; lookup: Promise<RoomLookup>; result?: RoomLookup; socket?: SignalingChannel }
  | undefined;
if (route.page === 'room') {
  const socket = 'RTCPeerConnection' in window ? new SignalingChannel(roomSocketUrl(route.slug)) : undefined;
  socket?.connect();
  const entry: NonNullable<typeof initialRoom> = { slug: route.slug, lookup: lookUpRoom(route.slug), socket };
  initialRoom = entry;
  await Promise.race([
    entry.lookup.then((result) => {
      entry.result = result;
    }),
    new Promise((resolve) => setTimeout(resolve, 300)),
  ]);
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <I18nProvider>
    <AuthProvider>
      <EmbedProvider bridge={embedBridge}>
        <App initialRoom={initialRoom} />
      </EmbedProvider>
    </AuthProvider>
  </I18nProvider>,
);
