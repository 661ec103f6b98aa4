/**
 * Measures what the connection test judges (`verdict.ts`), in this browser, against the ICE
 * servers Visio gave it for the test:
 *
 * 1. For each transport Visio's TURN server offers (UDP, TCP, TLS), a peer connection limited to
 *    that one URL and to relayed candidates gathers: a relay candidate means that transport gets
 *    through this network. The three run side by side.
 * 2. Two peer connections of this page, both relay-only through the best transport that got
 *    through, open a data channel to each other (unordered, never retransmitted, as media is) and
 *    the first pings the second: every ping crosses this network to the relay and back twice, so
 *    its round trip is twice this browser's to Visio's servers, and a lost ping is a lost packet.
 *
 * Nothing reaches the meeting: no seat is taken, Janus is not involved. Everything stops at
 * `deadlineMs`, or when `signal` aborts; what was measured by then is returned, marked timed out.
 */
import { TRANSPORTS, type MediaSample, type Measurements, type Transport } from './verdict';

export interface ProbeOptions {
  /** The whole test's limit. */
  deadlineMs: number;
  /** How long one transport may take to open a relay. */
  gatherTimeoutMs: number;
  /** How long the loop may take to open its data channel. */
  connectTimeoutMs: number;
  pings: number;
  pingIntervalMs: number;
  /** How long to wait for the last pings to come back. */
  graceMs: number;
  signal?: AbortSignal;
}

export const DEFAULT_PROBE: Omit<ProbeOptions, 'signal'> = {
  deadlineMs: 20_000,
  gatherTimeoutMs: 6_000,
  connectTimeoutMs: 8_000,
  pings: 30,
  pingIntervalMs: 50,
  graceMs: 1_000,
};

/** The transport a `turn:`/`turns:` URL names (RFC 7065), or null for any other URL. */
export function transportOf(url: string): Transport | null {
  if (/^turns:/i.test(url)) return 'tls';
  if (!/^turn:/i.test(url)) return null;
  return /[?&]transport=tcp\b/i.test(url) ? 'tcp' : 'udp';
}

/** One ICE server per transport Visio offers: the first URL of each, with its credential. */
export function relaysByTransport(iceServers: readonly RTCIceServer[]): Partial<Record<Transport, RTCIceServer>> {
  const found: Partial<Record<Transport, RTCIceServer>> = {};
  for (const server of iceServers) {
    const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
    for (const url of urls) {
      const transport = transportOf(url);
      if (transport && !found[transport]) {
        found[transport] = { urls: [url], username: server.username, credential: server.credential };
      }
    }
  }
  return found;
}

/** Peer connections the test opened, all closed when it ends whichever way. */
class Connections {
  private readonly open = new Set<RTCPeerConnection>();
  closed = false;

  create(server: RTCIceServer): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
    this.open.add(pc);
    if (this.closed) pc.close();
    return pc;
  }

  close(pc?: RTCPeerConnection): void {
    for (const each of pc ? [pc] : [...this.open]) {
      each.close();
      this.open.delete(each);
    }
    if (!pc) this.closed = true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `server` gives this browser a relay candidate within `timeoutMs`. */
async function opensRelay(connections: Connections, server: RTCIceServer, timeoutMs: number): Promise<boolean> {
  const pc = connections.create(server);
  try {
    const relayed = new Promise<boolean>((resolve) => {
      pc.addEventListener('icecandidate', (event) => {
        if (event.candidate?.candidate.includes(' typ relay')) resolve(true);
        else if (!event.candidate) resolve(false); // Gathering over without a relay.
      });
      setTimeout(() => resolve(false), timeoutMs);
    });
    pc.createDataChannel('visio-gather');
    await pc.setLocalDescription(await pc.createOffer());
    return await relayed;
  } catch {
    return false;
  } finally {
    connections.close(pc);
  }
}

/** Pings over a data channel between two relay-only peer connections of this page. */
async function loopThroughRelay(
  connections: Connections,
  server: RTCIceServer,
  transport: Transport,
  options: ProbeOptions,
  report: (sample: MediaSample) => void,
): Promise<void> {
  const caller = connections.create(server);
  const callee = connections.create(server);
  const forward = (from: RTCPeerConnection, to: RTCPeerConnection) =>
    from.addEventListener('icecandidate', (event) => {
      if (event.candidate) to.addIceCandidate(event.candidate).catch(() => undefined);
    });
  forward(caller, callee);
  forward(callee, caller);
  callee.addEventListener('datachannel', ({ channel }) => {
    channel.addEventListener('message', (event) => {
      if (channel.readyState === 'open') channel.send(event.data as string);
    });
  });
  const channel = caller.createDataChannel('visio-connection-test', { ordered: false, maxRetransmits: 0 });
  const opened = new Promise<boolean>((resolve) => {
    channel.addEventListener('open', () => resolve(true));
    setTimeout(() => resolve(false), options.connectTimeoutMs);
  });
  await caller.setLocalDescription(await caller.createOffer());
  await callee.setRemoteDescription(caller.localDescription!);
  await callee.setLocalDescription(await callee.createAnswer());
  await caller.setRemoteDescription(callee.localDescription!);
  if (!(await opened)) return;

  const sentAt = new Map<number, number>();
  const sample: MediaSample = { transport, sent: 0, roundTripsMs: [] };
  channel.addEventListener('message', (event) => {
    const sequence = Number(event.data);
    const start = sentAt.get(sequence);
    if (start === undefined) return;
    sentAt.delete(sequence);
    sample.roundTripsMs.push(performance.now() - start);
    report({ ...sample, roundTripsMs: [...sample.roundTripsMs] });
  });
  for (let sequence = 0; sequence < options.pings && !connections.closed; sequence++) {
    if (channel.readyState !== 'open') break;
    sentAt.set(sequence, performance.now());
    channel.send(String(sequence));
    sample.sent += 1;
    report({ ...sample, roundTripsMs: [...sample.roundTripsMs] });
    await sleep(options.pingIntervalMs);
  }
  const graceEnd = performance.now() + options.graceMs;
  while (sentAt.size > 0 && performance.now() < graceEnd && !connections.closed) await sleep(25);
}

/** Runs the test; always settles, by `deadlineMs` at the latest. */
export async function measureConnection(
  iceServers: readonly RTCIceServer[],
  relayConfigured: boolean,
  options: ProbeOptions = DEFAULT_PROBE,
): Promise<Measurements> {
  const relays = relaysByTransport(iceServers);
  const measured: Measurements = {
    relayConfigured,
    transports: { udp: 'absent', tcp: 'absent', tls: 'absent' },
    media: null,
    timedOut: false,
  };
  if (!relayConfigured) return measured;
  const connections = new Connections();
  const run = async () => {
    await Promise.all(
      TRANSPORTS.map(async (transport) => {
        const server = relays[transport];
        if (!server) return;
        const open = await opensRelay(connections, server, options.gatherTimeoutMs);
        if (!connections.closed) measured.transports[transport] = open ? 'open' : 'blocked';
      }),
    );
    const best = TRANSPORTS.find((transport) => measured.transports[transport] === 'open');
    if (!best || connections.closed) return;
    await loopThroughRelay(connections, relays[best]!, best, options, (sample) => {
      if (!connections.closed) measured.media = sample;
    });
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      measured.timedOut = true;
      resolve();
    }, options.deadlineMs);
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    await Promise.race([run().catch(() => undefined), stop]);
  } finally {
    clearTimeout(timer);
    connections.close();
  }
  // Transports still gathering when time ran out did not get through in time.
  for (const transport of TRANSPORTS) {
    if (relays[transport] && measured.transports[transport] === 'absent') measured.transports[transport] = 'blocked';
  }
  return measured;
}
