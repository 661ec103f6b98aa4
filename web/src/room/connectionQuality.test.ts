import { describe, expect, it } from 'vitest';
import {
  assessQuality,
  inboundSamples,
  outboundSample,
  selectedRoundTripMs,
  withConnectionState,
  type QualitySample,
  type StatsEntry,
} from './connectionQuality';

const both = { audio: true, video: true };

function sample(at: number, packets: number, lost: number, frames: number | null, roundTripMs: number | null = 20): QualitySample {
  return { at, packets, lost, frames, roundTripMs };
}

describe('assessQuality', () => {
  it('cannot judge from one sample, but already shows the round trip', () => {
    expect(assessQuality(null, sample(0, 100, 0, 30), both)).toEqual({
      level: 'unknown',
      silent: false,
      lossPercent: null,
      roundTripMs: 20,
      framesPerSecond: null,
    });
  });

  it('is good with no loss, a short round trip and a smooth video', () => {
    const report = assessQuality(sample(0, 100, 0, 0), sample(2000, 300, 0, 60), both);
    expect(report).toEqual({ level: 'good', silent: false, lossPercent: 0, roundTripMs: 20, framesPerSecond: 30 });
  });

  it('takes the worst figure: a little loss makes it fair, more makes it poor', () => {
    expect(assessQuality(sample(0, 0, 0, 0), sample(2000, 97, 3, 60), both).level).toBe('fair');
    expect(assessQuality(sample(0, 0, 0, 0), sample(2000, 90, 10, 60), both).level).toBe('poor');
    expect(assessQuality(sample(0, 0, 0, 0), sample(2000, 90, 10, 60), both).lossPercent).toBeCloseTo(10);
  });

  it('judges the round trip at 250 and 500 ms', () => {
    const at = (ms: number) => assessQuality(sample(0, 0, 0, 0), sample(2000, 100, 0, 60, ms), both).level;
    expect([at(249), at(250), at(499), at(500)]).toEqual(['good', 'fair', 'fair', 'poor']);
  });

  it('judges the frame rate at 15 and 8 fps, only while video is on', () => {
    const at = (frames: number, video = true) =>
      assessQuality(sample(0, 0, 0, 0), sample(2000, 100, 0, frames), { audio: true, video }).level;
    expect([at(30), at(29), at(16), at(15)]).toEqual(['good', 'fair', 'fair', 'poor']);
    expect(at(0, false)).toBe('good');
  });

  it('reads no packet at all while media is on as poor, and as nothing to say while it is off', () => {
    expect(assessQuality(sample(0, 100, 0, 30), sample(2000, 100, 0, 30), both)).toMatchObject({
      level: 'poor',
      silent: true,
      lossPercent: null,
      framesPerSecond: 0,
    });
    expect(assessQuality(sample(0, 100, 0, null, null), sample(2000, 100, 0, null, null), { audio: false, video: false }).level).toBe(
      'unknown',
    );
  });

  it('is poor and silent whatever the figures while the peer connection is disconnected or failed', () => {
    const report = assessQuality(sample(0, 100, 0, 0), sample(2000, 300, 0, 60), both);
    expect(withConnectionState(report, 'connected')).toBe(report);
    expect(withConnectionState(report, 'disconnected')).toMatchObject({ level: 'poor', silent: true, lossPercent: null, roundTripMs: 20 });
    expect(withConnectionState(report, 'failed').level).toBe('poor');
  });

  it('measures over the interval only, not since the call began', () => {
    // 50 % lost long ago; none over the last two seconds.
    expect(assessQuality(sample(0, 1000, 1000, 0), sample(2000, 1200, 1000, 60), both).level).toBe('good');
  });

  it('ignores counters that went backwards (a new peer connection)', () => {
    expect(assessQuality(sample(0, 5000, 50, 900), sample(2000, 100, 0, 60), both).level).toBe('poor');
    expect(assessQuality(sample(2000, 0, 0, 0), sample(2000, 100, 0, 60), both).level).toBe('unknown');
  });
});

describe('selectedRoundTripMs', () => {
  it('reads the pair the transport selected', () => {
    const entries: StatsEntry[] = [
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
      { id: 'P1', type: 'candidate-pair', currentRoundTripTime: 0.9, nominated: true, state: 'succeeded' },
      { id: 'P2', type: 'candidate-pair', currentRoundTripTime: 0.0421 },
    ];
    expect(selectedRoundTripMs(entries)).toBe(42);
  });

  it('falls back on the nominated, succeeded pair, and is null before ICE connects', () => {
    expect(selectedRoundTripMs([{ id: 'P', type: 'candidate-pair', currentRoundTripTime: 0.1, nominated: true, state: 'succeeded' }])).toBe(100);
    expect(selectedRoundTripMs([{ id: 'P', type: 'candidate-pair', state: 'in-progress' }])).toBeNull();
  });
});

describe('inboundSamples', () => {
  it('adds up each participant’s audio and video, by the track that carries them', () => {
    const entries: StatsEntry[] = [
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
      { id: 'P', type: 'candidate-pair', currentRoundTripTime: 0.015 },
      { id: 'a1', type: 'inbound-rtp', kind: 'audio', trackIdentifier: 'alice-mic', packetsReceived: 100, packetsLost: 2 },
      { id: 'v1', type: 'inbound-rtp', kind: 'video', trackIdentifier: 'alice-cam', packetsReceived: 400, packetsLost: 3, framesDecoded: 90 },
      { id: 'a2', type: 'inbound-rtp', kind: 'audio', trackIdentifier: 'bob-mic', packetsReceived: 50, packetsLost: -1 },
      { id: 'x', type: 'inbound-rtp', kind: 'video', trackIdentifier: 'gone', packetsReceived: 7 },
    ];
    const owners = new Map([
      ['alice-mic', 'alice'],
      ['alice-cam', 'alice'],
      ['bob-mic', 'bob'],
    ]);
    const samples = inboundSamples(entries, owners, 1234);
    expect(samples.get('alice')).toEqual({ at: 1234, packets: 500, lost: 5, frames: 90, roundTripMs: 15 });
    // Duplicates can make packetsLost negative: counted as none.
    expect(samples.get('bob')).toEqual({ at: 1234, packets: 50, lost: 0, frames: null, roundTripMs: 15 });
    expect([...samples.keys()]).toEqual(['alice', 'bob']);
  });
});

describe('outboundSample', () => {
  it('counts what was sent less what the server says it lost, and the best simulcast layer’s frames', () => {
    const entries: StatsEntry[] = [
      { id: 'oa', type: 'outbound-rtp', kind: 'audio', packetsSent: 100 },
      { id: 'oh', type: 'outbound-rtp', kind: 'video', packetsSent: 600, framesEncoded: 60 },
      { id: 'ol', type: 'outbound-rtp', kind: 'video', packetsSent: 100, framesEncoded: 58 },
      { id: 'ra', type: 'remote-inbound-rtp', kind: 'audio', packetsLost: 4, roundTripTime: 0.03 },
      { id: 'rv', type: 'remote-inbound-rtp', kind: 'video', packetsLost: 6 },
    ];
    expect(outboundSample(entries, 10)).toEqual({ at: 10, packets: 790, lost: 10, frames: 60, roundTripMs: 30 });
  });
});
