/**
 * The pre-join connection test's verdict: from what the browser measured (which transports open
 * a relay on Visio's TURN server, round trips and losses on a data channel through it) to the
 * path a meeting will take, how good it will be, and what to advise. Pure: no browser API here
 * (the measuring is in `probe.ts`, the words in `messages.ts`).
 */

/** How the browser reaches Visio's TURN server: `turn:…?transport=udp`, `…=tcp`, or `turns:` (TLS). */
export type Transport = 'udp' | 'tcp' | 'tls';
export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls'];

/** Whether a transport opened a relay: `absent` when Visio offers no URL for it. */
export type TransportResult = 'open' | 'blocked' | 'absent';

export interface MediaSample {
  /** The transport both ends of the loop used to reach the relay. */
  transport: Transport;
  /** Data-channel pings sent (unordered, never retransmitted: a lost one stays lost). */
  sent: number;
  /** Round trips of the pings that came back, in ms (each crosses the network to the relay twice). */
  roundTripsMs: number[];
}

export interface Measurements {
  /** Visio runs a TURN server (without one there is nothing to test against). */
  relayConfigured: boolean;
  transports: Record<Transport, TransportResult>;
  /** The loop through the relay, or null when it never connected. */
  media: MediaSample | null;
  /** The test ran out of time before every step finished. */
  timedOut: boolean;
}

/** The path meeting media will take: straight over UDP, or through the relay over TCP or TLS. */
export type MediaPath = 'direct-udp' | 'turn-tcp' | 'turn-tls' | 'none' | 'unknown';
export type Quality = 'good' | 'fair' | 'poor' | 'unknown';
export type Level = 'ok' | 'warning' | 'error';

/** What to tell the person, each a sentence in `messages.ts`. */
export type Advice =
  | 'no-relay-configured'
  | 'udp-blocked'
  | 'only-tls'
  | 'blocked'
  | 'slow'
  | 'lossy'
  | 'unmeasured'
  | 'timed-out';

export interface Verdict {
  path: MediaPath;
  quality: Quality;
  level: Level;
  /** Round trip between this browser and Visio's servers (half the loop's), or null. */
  roundTripMs: number | null;
  /** Share of pings lost, in percent (0 to 100), or null. */
  lossPercent: number | null;
  advice: Advice[];
}

/** A round trip above this (ms) is noticeable in conversation; above `POOR_RTT_MS`, painful. */
export const FAIR_RTT_MS = 150;
export const POOR_RTT_MS = 300;
/** Loss above this (percent) shows as blurry video; above `POOR_LOSS_PERCENT`, as choppy audio. */
export const FAIR_LOSS_PERCENT = 2;
export const POOR_LOSS_PERCENT = 8;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function pathOf(transports: Record<Transport, TransportResult>): MediaPath {
  // UDP that reaches Visio's servers reaches the media server too: the meeting goes direct.
  if (transports.udp === 'open') return 'direct-udp';
  if (transports.tcp === 'open') return 'turn-tcp';
  if (transports.tls === 'open') return 'turn-tls';
  return 'none';
}

/** The verdict on these measurements. */
export function connectionVerdict(measured: Measurements): Verdict {
  if (!measured.relayConfigured) {
    return { path: 'unknown', quality: 'unknown', level: 'warning', roundTripMs: null, lossPercent: null, advice: ['no-relay-configured'] };
  }
  const path = pathOf(measured.transports);
  const advice: Advice[] = [];
  if (path === 'none') {
    advice.push('blocked');
    if (measured.timedOut) advice.push('timed-out');
    return { path, quality: 'unknown', level: 'error', roundTripMs: null, lossPercent: null, advice };
  }
  if (path === 'turn-tcp' || path === 'turn-tls') advice.push('udp-blocked');
  if (path === 'turn-tls') advice.push('only-tls');

  const media = measured.media;
  if (!media || media.sent === 0 || media.roundTripsMs.length === 0) {
    advice.push('unmeasured');
    if (measured.timedOut) advice.push('timed-out');
    return { path, quality: 'unknown', level: 'warning', roundTripMs: null, lossPercent: null, advice };
  }
  const roundTripMs = Math.round(median(media.roundTripsMs) / 2);
  const received = Math.min(media.roundTripsMs.length, media.sent);
  const lossPercent = Math.round((1000 * (media.sent - received)) / media.sent) / 10;
  const poor = roundTripMs > POOR_RTT_MS || lossPercent > POOR_LOSS_PERCENT;
  const fair = roundTripMs > FAIR_RTT_MS || lossPercent > FAIR_LOSS_PERCENT;
  const quality: Quality = poor ? 'poor' : fair ? 'fair' : 'good';
  if (roundTripMs > FAIR_RTT_MS) advice.push('slow');
  if (lossPercent > FAIR_LOSS_PERCENT) advice.push('lossy');
  if (measured.timedOut) advice.push('timed-out');
  const level: Level = quality === 'good' && path === 'direct-udp' ? 'ok' : 'warning';
  return { path, quality, level, roundTripMs, lossPercent, advice };
}
