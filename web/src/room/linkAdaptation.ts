/**
 * Link adaptation: what this browser receives and sends on a poor link, from WebRTC statistics.
 * Pure: the UI (`useLinkAdaptation`) samples `getStats()` every `QUALITY_INTERVAL_MS` and hands
 * the samples in; the session applies the modes (layer cap, camera paused).
 *
 * Receiving (the subscriber), three modes: `full` (each tile's own layer, layerPlanner.ts), `low`
 * (every camera at the low layer) and `audio` (no camera video; screens stay). Sending (the
 * publisher), two: `full` (simulcast as the encoder's bandwidth estimate allows: Chromium already
 * drops the high layers itself when the estimate is short, `qualityLimitationReason` =
 * `bandwidth`) and `audio` (the camera is paused: others see the avatar, the sound goes on).
 *
 * | direction | bad interval (one is enough) | good interval (all) |
 * | --- | --- | --- |
 * | receiving | loss ≥ 8 %; audio jitter ≥ 100 ms; loss ≥ 2 % with video frozen ≥ 25 % of the time or a round trip ≥ 250 ms | loss < 2 %, jitter < 50 ms |
 * | sending | estimate < 100 kbit/s while limited by bandwidth; loss reported back ≥ 15 % | loss < 2 %, round trip < 400 ms, estimate ≥ 250 kbit/s |
 *
 * Loss is the worse of all inbound streams together and the audio alone: video is retransmitted
 * (NACK), so its counters hide most of the link's loss, while every lost audio packet is heard.
 * Loss is judged with what it does to the person: with a long round trip (the subscriber's own
 * candidate pair, where a bottleneck's queue shows too) a retransmission comes too late for the
 * jitter buffer and the picture stalls, so 2 % loss is already bad there; a long round trip
 * without loss is not (a far but clean link). Freezes alone do not judge the link: a busy
 * processor freezes video on a clean link too (seen on the 2-core test machine), and lowering the
 * layer would then never come back up. While the
 * camera is paused, its estimate and limitation are stale (nothing probes): only loss and round
 * trip judge the uplink then.
 *
 * Hysteresis, so that it does not flap: a step down needs `DOWN_AFTER` bad intervals in a row
 * (`AUDIO_AFTER` from `low` to `audio`); a step up needs `upAfter` good intervals in a row,
 * where an interval neither bad nor good (5 % loss, say) keeps the mode. A step up that turns bad
 * again within `RELAPSE_MS` doubles `upAfter` (up to `UP_AFTER_MAX`); a long calm resets it.
 * The person can override: `keepVideo` never goes below `low` and never pauses the camera.
 */

export type ReceiveMode = 'full' | 'low' | 'audio';
export type SendMode = 'full' | 'audio';

/** Cumulative counters of both peer connections at one time (`linkSample`). */
export interface LinkSample {
  /** `performance.now()`-like time, in milliseconds. */
  at: number;
  /** Inbound, audio and video together: packets received and lost (null without a subscriber). */
  inPackets: number | null;
  inLost: number;
  /** Inbound audio alone: packets received and lost (never retransmitted, so the link's loss). */
  inAudioPackets: number;
  inAudioLost: number;
  /** The subscriber's round trip (its selected candidate pair), in milliseconds. */
  inRoundTripMs: number | null;
  /** Inbound video: seconds frozen (Chromium's `totalFreezesDuration`, summed over the videos). */
  freezeSeconds: number;
  /** Inbound audio jitter, the worst stream's, in milliseconds (null without audio). */
  jitterMs: number | null;
  /** Outbound: packets sent and lost as the server reports them back (null without a publisher). */
  outPackets: number | null;
  outLost: number;
  /** The publisher's bandwidth estimate (selected candidate pair), in bit/s. */
  availableOutgoingBps: number | null;
  /** A camera layer is held back by the bandwidth estimate (`qualityLimitationReason`). */
  bandwidthLimited: boolean;
  /** The publisher's round trip, in milliseconds. */
  roundTripMs: number | null;
}

export const THRESHOLDS = {
  receive: { badLossPercent: 8, goodLossPercent: 2, badFrozen: 0.25, badJitterMs: 100, goodJitterMs: 50, longRoundTripMs: 250 },
  send: { badKbps: 100, goodKbps: 250, badLossPercent: 15, goodLossPercent: 2, goodRoundTripMs: 400 },
} as const;
/** Bad intervals in a row before a step down (two samples of 2 s). */
export const DOWN_AFTER = 2;
/** More bad intervals in a row, once at `low`, before receiving audio only. */
export const AUDIO_AFTER = 3;
/** Good intervals in a row before a step up, at first (10 s at 2 s a sample). */
export const UP_AFTER = 5;
export const UP_AFTER_MAX = 30;
/** A step down this soon after a step up is a relapse: the next step up waits twice as long. */
export const RELAPSE_MS = 20_000;
/** This long without a step down forgets the relapses. */
export const CALM_MS = 120_000;

export interface LinkModes {
  receive: ReceiveMode;
  send: SendMode;
}

type Verdict = 'bad' | 'good' | 'hold';

interface Direction<M extends string> {
  mode: M;
  bad: number;
  good: number;
  upAfter: number;
  lastUpAt: number | null;
  lastDownAt: number | null;
}

function direction<M extends string>(mode: M): Direction<M> {
  return { mode, bad: 0, good: 0, upAfter: UP_AFTER, lastUpAt: null, lastDownAt: null };
}

const RECEIVE_ORDER: readonly ReceiveMode[] = ['full', 'low', 'audio'];

/** Lost packets in percent of those expected over one interval (counters that went back count 0). */
function lossPercent(received: number, lost: number): number {
  const packets = Math.max(0, received);
  const missing = Math.max(0, lost);
  return packets + missing > 0 ? (100 * missing) / (packets + missing) : 0;
}

/** The receiving verdict of one interval (null: nothing to judge, e.g. no subscriber yet). */
export function receiveVerdict(previous: LinkSample, current: LinkSample): Verdict | null {
  if (previous.inPackets === null || current.inPackets === null) return null;
  const seconds = (current.at - previous.at) / 1000;
  if (seconds <= 0) return null;
  const loss = Math.max(
    lossPercent(current.inPackets - previous.inPackets, current.inLost - previous.inLost),
    lossPercent(current.inAudioPackets - previous.inAudioPackets, current.inAudioLost - previous.inAudioLost),
  );
  const roundTrip = current.inRoundTripMs ?? current.roundTripMs ?? 0;
  const frozen = Math.max(0, current.freezeSeconds - previous.freezeSeconds) / seconds;
  const jitter = current.jitterMs ?? 0;
  const t = THRESHOLDS.receive;
  const stalls = frozen >= t.badFrozen || roundTrip >= t.longRoundTripMs;
  if (loss >= t.badLossPercent || jitter >= t.badJitterMs || (stalls && loss >= t.goodLossPercent)) return 'bad';
  if (loss < t.goodLossPercent && jitter < t.goodJitterMs) return 'good';
  return 'hold';
}

/**
 * The sending verdict of one interval (null: nothing to judge). With the camera `paused` the
 * estimate and the limitation are stale (nothing probes), so only loss and round trip judge.
 */
export function sendVerdict(previous: LinkSample, current: LinkSample, paused = false): Verdict | null {
  if (previous.outPackets === null || current.outPackets === null) return null;
  const packets = Math.max(0, current.outPackets - previous.outPackets);
  const lost = Math.max(0, current.outLost - previous.outLost);
  const loss = packets + lost > 0 ? (100 * lost) / (packets + lost) : 0;
  const kbps = current.availableOutgoingBps === null || paused ? null : current.availableOutgoingBps / 1000;
  const t = THRESHOLDS.send;
  if ((kbps !== null && kbps < t.badKbps && current.bandwidthLimited) || loss >= t.badLossPercent) return 'bad';
  const roundTripOk = current.roundTripMs === null || current.roundTripMs < t.goodRoundTripMs;
  if (loss < t.goodLossPercent && roundTripOk && (kbps === null || kbps >= t.goodKbps)) return 'good';
  return 'hold';
}

/**
 * The modes over time: `update` with each new sample returns the modes to apply now. One per
 * session; `reset` when the peer connections are replaced (counters restart).
 */
export class LinkAdapter {
  private previous: LinkSample | null = null;
  private readonly receive = direction<ReceiveMode>('full');
  private readonly send = direction<SendMode>('full');
  private keep = false;

  get modes(): LinkModes {
    return { receive: this.receive.mode, send: this.send.mode };
  }

  /** Whether the person chose to keep video whatever the link (see the module's comment). */
  get keepVideo(): boolean {
    return this.keep;
  }

  /** The person's override: keep video on (receive at least `low`, never pause the camera). */
  setKeepVideo(keep: boolean): LinkModes {
    this.keep = keep;
    if (keep) {
      if (this.receive.mode === 'audio') this.receive.mode = 'low';
      this.send.mode = 'full';
      this.receive.bad = this.send.bad = 0;
    }
    return this.modes;
  }

  /** New peer connections: their counters start again, so the next sample only starts an interval. */
  reset(): void {
    this.previous = null;
  }

  update(sample: LinkSample): LinkModes {
    const previous = this.previous;
    this.previous = sample;
    if (!previous || sample.at <= previous.at) return this.modes;
    const received = receiveVerdict(previous, sample);
    if (received) {
      this.step(this.receive, received, sample.at, (mode, down) => {
        const index = RECEIVE_ORDER.indexOf(mode) + (down ? 1 : -1);
        const next = RECEIVE_ORDER[Math.max(0, Math.min(RECEIVE_ORDER.length - 1, index))]!;
        if (down && next === 'audio' && (this.keep || this.receive.bad < AUDIO_AFTER)) return mode;
        return next;
      });
    }
    const sent = sendVerdict(previous, sample, this.send.mode === 'audio');
    if (sent) {
      this.step(this.send, sent, sample.at, (_mode, down) => (down ? (this.keep ? 'full' : 'audio') : 'full'));
    }
    return this.modes;
  }

  private step<M extends string>(dir: Direction<M>, verdict: Verdict, at: number, next: (mode: M, down: boolean) => M): void {
    if (dir.lastDownAt !== null && at - dir.lastDownAt > CALM_MS && dir.upAfter !== UP_AFTER) dir.upAfter = UP_AFTER;
    if (verdict === 'bad') {
      dir.good = 0;
      dir.bad++;
      if (dir.bad < DOWN_AFTER) return;
      const mode = next(dir.mode, true);
      if (mode === dir.mode) return;
      if (dir.lastUpAt !== null && at - dir.lastUpAt < RELAPSE_MS) dir.upAfter = Math.min(UP_AFTER_MAX, dir.upAfter * 2);
      dir.mode = mode;
      dir.lastDownAt = at;
      dir.bad = 0;
    } else if (verdict === 'good') {
      dir.bad = 0;
      dir.good++;
      if (dir.good < dir.upAfter) return;
      const mode = next(dir.mode, false);
      dir.good = 0;
      if (mode === dir.mode) return;
      dir.mode = mode;
      dir.lastUpAt = at;
    } else {
      dir.bad = 0;
      dir.good = 0;
    }
  }
}

/** The fields of `RTCStats` entries read here (all optional: browsers differ). */
export interface LinkStatsEntry {
  id: string;
  type: string;
  kind?: string;
  packetsReceived?: number;
  packetsSent?: number;
  packetsLost?: number;
  jitter?: number;
  totalFreezesDuration?: number;
  qualityLimitationReason?: string;
  availableOutgoingBitrate?: number;
  currentRoundTripTime?: number;
  roundTripTime?: number;
  selectedCandidatePairId?: string;
  nominated?: boolean;
  state?: string;
}

function selectedPair(entries: readonly LinkStatsEntry[]): LinkStatsEntry | undefined {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  for (const entry of entries) {
    if (entry.type === 'transport' && entry.selectedCandidatePairId) return byId.get(entry.selectedCandidatePairId);
  }
  return entries.find((entry) => entry.type === 'candidate-pair' && entry.nominated && entry.state === 'succeeded');
}

/** One sample from the subscriber's and the publisher's statistics (null: that connection is absent). */
export function linkSample(
  inbound: readonly LinkStatsEntry[] | null,
  outbound: readonly LinkStatsEntry[] | null,
  at: number,
): LinkSample {
  const sample: LinkSample = {
    at,
    inPackets: inbound ? 0 : null,
    inLost: 0,
    inAudioPackets: 0,
    inAudioLost: 0,
    inRoundTripMs: null,
    freezeSeconds: 0,
    jitterMs: null,
    outPackets: outbound ? 0 : null,
    outLost: 0,
    availableOutgoingBps: null,
    bandwidthLimited: false,
    roundTripMs: null,
  };
  for (const entry of inbound ?? []) {
    if (entry.type !== 'inbound-rtp') continue;
    sample.inPackets! += entry.packetsReceived ?? 0;
    sample.inLost += Math.max(0, entry.packetsLost ?? 0);
    if (entry.kind === 'video') sample.freezeSeconds += entry.totalFreezesDuration ?? 0;
    if (entry.kind === 'audio') {
      sample.inAudioPackets += entry.packetsReceived ?? 0;
      sample.inAudioLost += Math.max(0, entry.packetsLost ?? 0);
    }
    if (entry.kind === 'audio' && typeof entry.jitter === 'number') {
      sample.jitterMs = Math.max(sample.jitterMs ?? 0, entry.jitter * 1000);
    }
  }
  const inPair = inbound ? selectedPair(inbound) : undefined;
  if (typeof inPair?.currentRoundTripTime === 'number') sample.inRoundTripMs = inPair.currentRoundTripTime * 1000;
  if (outbound) {
    let sent = 0;
    for (const entry of outbound) {
      if (entry.type === 'outbound-rtp') {
        sent += entry.packetsSent ?? 0;
        if (entry.kind === 'video' && entry.qualityLimitationReason === 'bandwidth') sample.bandwidthLimited = true;
      } else if (entry.type === 'remote-inbound-rtp') {
        sample.outLost += Math.max(0, entry.packetsLost ?? 0);
        if (sample.roundTripMs === null && typeof entry.roundTripTime === 'number') sample.roundTripMs = entry.roundTripTime * 1000;
      }
    }
    sample.outPackets = Math.max(0, sent - sample.outLost);
    const pair = selectedPair(outbound);
    if (typeof pair?.availableOutgoingBitrate === 'number') sample.availableOutgoingBps = pair.availableOutgoingBitrate;
    if (typeof pair?.currentRoundTripTime === 'number') sample.roundTripMs = pair.currentRoundTripTime * 1000;
  }
  return sample;
}
