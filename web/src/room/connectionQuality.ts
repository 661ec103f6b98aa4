/**
 * Connection quality from WebRTC statistics: how well this browser receives each remote participant
 * (the subscriber peer connection) and how well it sends its own media (the publisher). Pure: the
 * UI polls `getStats()` and hands the reports in; nothing here touches a peer connection.
 *
 * A verdict compares two samples a few seconds apart, so that it says how the connection is now,
 * not since the call began. The worst of three figures decides (documented in docs/architecture.md):
 *
 * | figure | good | fair | poor |
 * | --- | --- | --- | --- |
 * | packet loss over the interval | < 2 % | < 8 % | ≥ 8 %, or silent (below) |
 * | round trip (selected ICE candidate pair) | < 250 ms | < 500 ms | ≥ 500 ms |
 * | video frame rate (decoded from them / sent by you), camera on | ≥ 15 fps | ≥ 8 fps | < 8 fps |
 *
 * Silent: while their microphone or camera is on, no packet at all arrived from them (inbound); or
 * the peer connection itself is `disconnected` or `failed` (`withConnectionState`): outbound, packets
 * still leave on a dead network, so only that says nothing arrives.
 */

export type QualityLevel = 'good' | 'fair' | 'poor' | 'unknown';

/** Thresholds: a figure at or past `fair` is at best fair; at or past `poor`, poor. */
export const QUALITY_THRESHOLDS = {
  lossPercent: { fair: 2, poor: 8 },
  roundTripMs: { fair: 250, poor: 500 },
  /** Frame rates below these. */
  framesPerSecond: { fair: 15, poor: 8 },
} as const;

/** How often the UI samples the statistics. */
export const QUALITY_INTERVAL_MS = 2_000;

/** Cumulative counters of one direction of media (as `getStats()` reports them), at one time. */
export interface QualitySample {
  /** `performance.now()`-like time of the sample, in milliseconds. */
  at: number;
  /** Packets received (inbound) or sent (outbound), audio and video together. */
  packets: number;
  /** Packets lost: counted by this browser (inbound) or reported back by the server (outbound). */
  lost: number;
  /** Video frames decoded (inbound) or encoded on the best layer (outbound); null without video. */
  frames: number | null;
  /** Round trip of the selected ICE candidate pair, in milliseconds; null when unknown. */
  roundTripMs: number | null;
}

export interface QualityReport {
  level: QualityLevel;
  /** Nothing arrived from them, or the server acknowledged nothing of what one sends (see above). */
  silent: boolean;
  /** Packet loss over the interval, in percent; null when nothing was expected. */
  lossPercent: number | null;
  roundTripMs: number | null;
  /** Video frames per second over the interval; null without video. */
  framesPerSecond: number | null;
}

export const UNKNOWN_QUALITY: QualityReport = {
  level: 'unknown',
  silent: false,
  lossPercent: null,
  roundTripMs: null,
  framesPerSecond: null,
};

/** What media the other end says it sends (a muted microphone still sends a little; a camera off, nothing). */
export interface Expected {
  audio: boolean;
  video: boolean;
}

const ORDER: Record<QualityLevel, number> = { unknown: 0, good: 1, fair: 2, poor: 3 };

function worst(levels: QualityLevel[]): QualityLevel {
  return levels.reduce<QualityLevel>((a, b) => (ORDER[b] > ORDER[a] ? b : a), 'good');
}

function levelAbove(value: number, limits: { fair: number; poor: number }): QualityLevel {
  if (value >= limits.poor) return 'poor';
  if (value >= limits.fair) return 'fair';
  return 'good';
}

function levelBelow(value: number, limits: { fair: number; poor: number }): QualityLevel {
  if (value < limits.poor) return 'poor';
  if (value < limits.fair) return 'fair';
  return 'good';
}

/** The verdict between two samples of the same direction (`previous` null: too early to say). */
export function assessQuality(previous: QualitySample | null, current: QualitySample, expected: Expected): QualityReport {
  const roundTripMs = current.roundTripMs;
  if (!previous || current.at <= previous.at) return { ...UNKNOWN_QUALITY, roundTripMs };
  const seconds = (current.at - previous.at) / 1000;
  const packets = Math.max(0, current.packets - previous.packets);
  const lost = Math.max(0, current.lost - previous.lost);
  const mediaExpected = expected.audio || expected.video;
  const silent = mediaExpected && packets + lost === 0;
  const lossPercent = packets + lost > 0 && !silent ? (100 * lost) / (packets + lost) : null;
  const framesPerSecond =
    expected.video && current.frames !== null && previous.frames !== null
      ? Math.max(0, current.frames - previous.frames) / seconds
      : null;
  const levels: QualityLevel[] = silent ? ['poor'] : [];
  if (lossPercent !== null) levels.push(levelAbove(lossPercent, QUALITY_THRESHOLDS.lossPercent));
  if (roundTripMs !== null) levels.push(levelAbove(roundTripMs, QUALITY_THRESHOLDS.roundTripMs));
  if (framesPerSecond !== null) levels.push(levelBelow(framesPerSecond, QUALITY_THRESHOLDS.framesPerSecond));
  const level = levels.length ? worst(levels) : 'unknown';
  return { level, silent, lossPercent, roundTripMs, framesPerSecond };
}

/** A report overruled by its peer connection's state: `disconnected` or `failed` is poor and silent. */
export function withConnectionState(report: QualityReport, state: RTCPeerConnectionState): QualityReport {
  if (state !== 'disconnected' && state !== 'failed') return report;
  return { ...report, level: 'poor', silent: true, lossPercent: null };
}

/** The fields of `RTCStats` entries this module reads (all optional: browsers differ). */
export interface StatsEntry {
  id: string;
  type: string;
  kind?: string;
  trackIdentifier?: string;
  packetsReceived?: number;
  packetsSent?: number;
  packetsLost?: number;
  framesDecoded?: number;
  framesEncoded?: number;
  localId?: string;
  selectedCandidatePairId?: string;
  currentRoundTripTime?: number;
  roundTripTime?: number;
  nominated?: boolean;
  state?: string;
}

/** The round trip of the selected candidate pair, in milliseconds (null before ICE connects). */
export function selectedRoundTripMs(entries: readonly StatsEntry[]): number | null {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  let pair: StatsEntry | undefined;
  for (const entry of entries) {
    if (entry.type === 'transport' && entry.selectedCandidatePairId) pair = byId.get(entry.selectedCandidatePairId);
  }
  pair ??= entries.find((entry) => entry.type === 'candidate-pair' && entry.nominated && entry.state === 'succeeded');
  const seconds = pair?.currentRoundTripTime;
  return typeof seconds === 'number' ? Math.round(seconds * 1000) : null;
}

/**
 * One sample per remote participant from the subscriber's statistics. `owners` maps each received
 * track's id to its participant (inbound-rtp `trackIdentifier` names the receiver's track).
 */
export function inboundSamples(entries: readonly StatsEntry[], owners: ReadonlyMap<string, string>, at: number): Map<string, QualitySample> {
  const roundTripMs = selectedRoundTripMs(entries);
  const samples = new Map<string, QualitySample>();
  for (const entry of entries) {
    if (entry.type !== 'inbound-rtp' || !entry.trackIdentifier) continue;
    const participantId = owners.get(entry.trackIdentifier);
    if (!participantId) continue;
    const sample = samples.get(participantId) ?? { at, packets: 0, lost: 0, frames: null, roundTripMs };
    sample.packets += entry.packetsReceived ?? 0;
    sample.lost += Math.max(0, entry.packetsLost ?? 0);
    if (entry.kind === 'video') sample.frames = (sample.frames ?? 0) + (entry.framesDecoded ?? 0);
    samples.set(participantId, sample);
  }
  return samples;
}

/**
 * This person's own sample from the publisher's statistics: packets sent, losses the server reports
 * back (remote-inbound-rtp), and frames of the best simulcast layer (the most encoded).
 */
export function outboundSample(entries: readonly StatsEntry[], at: number): QualitySample {
  const sample: QualitySample = { at, packets: 0, lost: 0, frames: null, roundTripMs: selectedRoundTripMs(entries) };
  for (const entry of entries) {
    if (entry.type === 'outbound-rtp') {
      sample.packets += entry.packetsSent ?? 0;
      if (entry.kind === 'video' && entry.framesEncoded !== undefined) {
        sample.frames = Math.max(sample.frames ?? 0, entry.framesEncoded);
      }
    } else if (entry.type === 'remote-inbound-rtp') {
      sample.lost += Math.max(0, entry.packetsLost ?? 0);
      if (sample.roundTripMs === null && typeof entry.roundTripTime === 'number') {
        sample.roundTripMs = Math.round(entry.roundTripTime * 1000);
      }
    }
  }
  // What arrived, so that loss reads as lost / sent (as for inbound: lost / (received + lost)).
  sample.packets = Math.max(0, sample.packets - sample.lost);
  return sample;
}
