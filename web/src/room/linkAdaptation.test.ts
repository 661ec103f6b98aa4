import { describe, expect, it } from 'vitest';
import { capCameraLayers } from './layerPlanner';
import {
  AUDIO_AFTER,
  DOWN_AFTER,
  LinkAdapter,
  linkSample,
  receiveVerdict,
  sendVerdict,
  UP_AFTER,
  type LinkSample,
  type LinkStatsEntry,
} from './linkAdaptation';
import { linkAnnouncement } from '../ui/linkNotice';
import { MESSAGES } from '../i18n/messages';

/** A link whose counters grow by these amounts every 2 s. */
class Link {
  private s: LinkSample = {
    at: 0,
    inPackets: 0,
    inLost: 0,
    inAudioPackets: 0,
    inAudioLost: 0,
    inRoundTripMs: 20,
    freezeSeconds: 0,
    jitterMs: 5,
    outPackets: 0,
    outLost: 0,
    availableOutgoingBps: 2_000_000,
    bandwidthLimited: false,
    roundTripMs: 20,
  };

  next(change: { inLossPercent?: number; audioLossPercent?: number; inRoundTripMs?: number; frozenSeconds?: number; outLossPercent?: number; kbps?: number | null; limited?: boolean } = {}): LinkSample {
    const inLost = change.inLossPercent ?? 0;
    const outLost = change.outLossPercent ?? 0;
    const audioLost = change.audioLossPercent ?? 0;
    this.s = {
      ...this.s,
      at: this.s.at + 2000,
      inPackets: this.s.inPackets! + (100 - inLost),
      inLost: this.s.inLost + inLost,
      inAudioPackets: this.s.inAudioPackets + (50 - audioLost / 2),
      inAudioLost: this.s.inAudioLost + audioLost / 2,
      inRoundTripMs: change.inRoundTripMs ?? 20,
      freezeSeconds: this.s.freezeSeconds + (change.frozenSeconds ?? 0),
      outPackets: this.s.outPackets! + (100 - outLost),
      outLost: this.s.outLost + outLost,
      availableOutgoingBps: change.kbps === undefined ? 2_000_000 : change.kbps === null ? null : change.kbps * 1000,
      bandwidthLimited: change.limited ?? false,
    };
    return this.s;
  }
}

function run(adapter: LinkAdapter, link: Link, times: number, change: Parameters<Link['next']>[0] = {}) {
  let modes = adapter.modes;
  for (let i = 0; i < times; i++) modes = adapter.update(link.next(change));
  return modes;
}

function started(): { adapter: LinkAdapter; link: Link } {
  const adapter = new LinkAdapter();
  const link = new Link();
  adapter.update(link.next());
  return { adapter, link };
}

describe('receiveVerdict and sendVerdict', () => {
  it('judge loss, freezes and the estimate over one interval, with a band between bad and good', () => {
    const link = new Link();
    const a = link.next();
    expect(receiveVerdict(a, link.next({ inLossPercent: 10 }))).toBe('bad');
    expect(receiveVerdict(a, link.next({ inLossPercent: 5 }))).toBe('hold');
    const b = link.next();
    expect(receiveVerdict(b, link.next({ frozenSeconds: 1, inLossPercent: 3 }))).toBe('bad');
    const busy = link.next();
    expect(receiveVerdict(busy, link.next({ frozenSeconds: 1 }))).toBe('good'); // a busy processor, not the link
    const far = link.next();
    expect(receiveVerdict(far, link.next({ inRoundTripMs: 300, frozenSeconds: 1 }))).toBe('good'); // far and busy, but clean
    const farLossy = link.next();
    expect(receiveVerdict(farLossy, link.next({ inRoundTripMs: 300, inLossPercent: 3 }))).toBe('bad'); // retransmissions come too late
    const heard = link.next();
    expect(receiveVerdict(heard, link.next({ inLossPercent: 1, audioLossPercent: 5 }))).toBe('hold'); // video losses hidden by NACK
    expect(receiveVerdict(heard, link.next({ inLossPercent: 1, audioLossPercent: 5, inRoundTripMs: 300 }))).toBe('bad');
    const c = link.next();
    expect(receiveVerdict(c, link.next())).toBe('good');
    expect(sendVerdict(c, link.next({ kbps: 90, limited: true }))).toBe('bad');
    const d = link.next();
    expect(sendVerdict(d, link.next({ kbps: 90, limited: false }))).toBe('hold'); // little to send, not short of it
    const e = link.next();
    expect(sendVerdict(e, link.next({ outLossPercent: 20 }))).toBe('bad');
    const f = link.next();
    expect(sendVerdict(f, link.next({ kbps: 200 }))).toBe('hold');
    const g = link.next();
    expect(sendVerdict(g, link.next({ kbps: 100, limited: true }), true)).toBe('good'); // camera paused: a stale estimate
  });

  it('say nothing without the connection', () => {
    const link = new Link();
    const a = { ...link.next(), inPackets: null, outPackets: null };
    expect(receiveVerdict(a, link.next())).toBeNull();
    expect(sendVerdict(a, link.next())).toBeNull();
  });
});

describe('LinkAdapter', () => {
  it('steps down to the low layer, then to audio only, only after bad intervals in a row', () => {
    const { adapter, link } = started();
    expect(run(adapter, link, DOWN_AFTER - 1, { inLossPercent: 30 }).receive).toBe('full');
    run(adapter, link, 1); // one good interval breaks the run
    expect(run(adapter, link, DOWN_AFTER - 1, { inLossPercent: 30 }).receive).toBe('full');
    expect(run(adapter, link, 1, { inLossPercent: 30 }).receive).toBe('low');
    expect(run(adapter, link, AUDIO_AFTER - 1, { inLossPercent: 30 }).receive).toBe('low');
    expect(run(adapter, link, 1, { inLossPercent: 30 }).receive).toBe('audio');
  });

  it('steps down on 5 % loss over a long round trip, not on a far clean link with freezes', () => {
    const { adapter, link } = started();
    expect(run(adapter, link, 10, { inRoundTripMs: 300, frozenSeconds: 1 }).receive).toBe('full');
    expect(run(adapter, link, DOWN_AFTER, { inRoundTripMs: 300, inLossPercent: 1, audioLossPercent: 5 }).receive).toBe('low');
  });

  it('holds its mode on a middling link and comes back one step at a time when it is good', () => {
    const { adapter, link } = started();
    run(adapter, link, DOWN_AFTER + AUDIO_AFTER, { inLossPercent: 30 });
    expect(adapter.modes.receive).toBe('audio');
    expect(run(adapter, link, 50, { inLossPercent: 5 }).receive).toBe('audio');
    expect(run(adapter, link, UP_AFTER - 1).receive).toBe('audio');
    expect(run(adapter, link, 1).receive).toBe('low');
    expect(run(adapter, link, UP_AFTER).receive).toBe('full');
  });

  it('waits twice as long to step up again after a relapse', () => {
    const { adapter, link } = started();
    run(adapter, link, DOWN_AFTER, { inLossPercent: 30 });
    run(adapter, link, UP_AFTER);
    expect(adapter.modes.receive).toBe('full');
    run(adapter, link, DOWN_AFTER, { inLossPercent: 30 }); // within RELAPSE_MS of the step up
    expect(adapter.modes.receive).toBe('low');
    expect(run(adapter, link, 2 * UP_AFTER - 1).receive).toBe('low');
    expect(run(adapter, link, 1).receive).toBe('full');
  });

  it('pauses the camera when the estimate collapses and resumes it on a clean link', () => {
    const { adapter, link } = started();
    expect(run(adapter, link, DOWN_AFTER, { kbps: 140, limited: true }).send).toBe('full'); // the low layer still fits
    expect(run(adapter, link, DOWN_AFTER, { kbps: 90, limited: true }).send).toBe('audio');
    expect(run(adapter, link, UP_AFTER, { kbps: 60, outLossPercent: 5 }).send).toBe('audio');
    expect(run(adapter, link, UP_AFTER, { kbps: 60 }).send).toBe('full');
  });

  it("keeps video when the person asked, whatever the link", () => {
    const { adapter, link } = started();
    run(adapter, link, DOWN_AFTER + AUDIO_AFTER, { inLossPercent: 30, kbps: 50, limited: true });
    expect(adapter.modes).toEqual({ receive: 'audio', send: 'audio' });
    expect(adapter.setKeepVideo(true)).toEqual({ receive: 'low', send: 'full' });
    expect(run(adapter, link, 20, { inLossPercent: 30, kbps: 50, limited: true })).toEqual({ receive: 'low', send: 'full' });
  });

  it('starts a fresh interval after a reset (new peer connections)', () => {
    const { adapter, link } = started();
    adapter.reset();
    const fresh = { ...link.next(), inPackets: 5, inLost: 5 }; // counters restarted: no 50 % interval
    adapter.update(fresh);
    expect(run(adapter, link, DOWN_AFTER - 1).receive).toBe('full');
  });
});

describe('linkSample', () => {
  it('reads both connections: loss, freezes, jitter, the estimate and the limitation', () => {
    const inbound: LinkStatsEntry[] = [
      { id: 'a', type: 'inbound-rtp', kind: 'audio', packetsReceived: 100, packetsLost: 3, jitter: 0.02 },
      { id: 'v', type: 'inbound-rtp', kind: 'video', packetsReceived: 400, packetsLost: 7, totalFreezesDuration: 1.5 },
      { id: 'it', type: 'transport', selectedCandidatePairId: 'ip' },
      { id: 'ip', type: 'candidate-pair', currentRoundTripTime: 0.32 },
    ];
    const outbound: LinkStatsEntry[] = [
      { id: 'o1', type: 'outbound-rtp', kind: 'video', packetsSent: 300, qualityLimitationReason: 'bandwidth' },
      { id: 'o2', type: 'outbound-rtp', kind: 'audio', packetsSent: 100, qualityLimitationReason: 'none' },
      { id: 'r', type: 'remote-inbound-rtp', packetsLost: 10, roundTripTime: 0.3 },
      { id: 't', type: 'transport', selectedCandidatePairId: 'p' },
      { id: 'p', type: 'candidate-pair', availableOutgoingBitrate: 420_000, currentRoundTripTime: 0.31 },
    ];
    expect(linkSample(inbound, outbound, 7)).toEqual({
      at: 7,
      inPackets: 500,
      inLost: 10,
      inAudioPackets: 100,
      inAudioLost: 3,
      inRoundTripMs: 320,
      freezeSeconds: 1.5,
      jitterMs: 20,
      outPackets: 390,
      outLost: 10,
      availableOutgoingBps: 420_000,
      bandwidthLimited: true,
      roundTripMs: 310,
    });
    expect(linkSample(null, null, 0)).toMatchObject({ inPackets: null, outPackets: null, inRoundTripMs: null });
  });
});

describe('capCameraLayers', () => {
  it('caps cameras, never screens, and never raises a layer', () => {
    const videos = [
      { mid: '1', participantId: 'p', source: 'camera' as const },
      { mid: '2', participantId: 'q', source: 'camera' as const },
      { mid: '3', participantId: 'q', source: 'screen' as const },
    ];
    const plan = new Map([['1', 'high' as const], ['2', 'off' as const], ['3', 'high' as const]]);
    expect(capCameraLayers(plan, videos, 'low')).toEqual(new Map([['1', 'low'], ['2', 'off'], ['3', 'high']]));
    expect(capCameraLayers(plan, videos, 'off').get('1')).toBe('off');
  });
});

describe('linkAnnouncement', () => {
  const en = MESSAGES.en;
  const full = { receive: 'full', send: 'full' } as const;
  it('says when video pauses, lowers and comes back, once each', () => {
    expect(linkAnnouncement(full, { receive: 'low', send: 'full' }, en)).toMatch(/lower quality/);
    expect(linkAnnouncement({ receive: 'low', send: 'full' }, { receive: 'audio', send: 'full' }, en)).toMatch(/other people's video is paused/);
    expect(linkAnnouncement({ receive: 'audio', send: 'full' }, { receive: 'audio', send: 'full' }, en)).toBeNull();
    expect(linkAnnouncement(full, { receive: 'full', send: 'audio' }, en)).toMatch(/your camera is paused/);
    expect(linkAnnouncement({ receive: 'audio', send: 'full' }, { receive: 'low', send: 'full' }, en)).toMatch(/video is back/);
    expect(linkAnnouncement(full, full, en)).toBeNull();
    expect(linkAnnouncement(full, { receive: 'audio', send: 'audio' }, MESSAGES.fr)).toMatch(/ni n’envoyez/);
  });
});
