import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PROBE, measureConnection } from './probe';

/** A peer connection whose TURN server never answers: no candidate, ever. */
class SilentPeerConnection {
  static made: SilentPeerConnection[] = [];
  closed = false;
  constructor(readonly configuration: RTCConfiguration) {
    SilentPeerConnection.made.push(this);
  }
  addEventListener() {}
  createDataChannel() {
    return { addEventListener() {} };
  }
  async createOffer() {
    return { type: 'offer', sdp: '' };
  }
  async setLocalDescription() {}
  close() {
    this.closed = true;
  }
}

const turn = {
  urls: ['turn:t.example:3478?transport=udp', 'turn:t.example:3478?transport=tcp', 'turns:t.example:443?transport=tcp'],
  username: '1:test-a',
  credential: 'c',
};

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  SilentPeerConnection.made = [];
});

describe('measureConnection', () => {
  it('settles at its deadline when nothing answers, every relay blocked and every connection closed', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('RTCPeerConnection', SilentPeerConnection);
    const settled = vi.fn();
    void measureConnection([turn], true, { ...DEFAULT_PROBE, deadlineMs: 3_000, gatherTimeoutMs: 60_000 }).then(settled);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toHaveBeenCalledWith({
      relayConfigured: true,
      transports: { udp: 'blocked', tcp: 'blocked', tls: 'blocked' },
      media: null,
      timedOut: true,
    });
    expect(SilentPeerConnection.made).toHaveLength(3);
    expect(SilentPeerConnection.made.every((pc) => pc.closed && pc.configuration.iceTransportPolicy === 'relay')).toBe(true);
  });

  it('stops at once when the page leaves (abort), without waiting for the deadline', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('RTCPeerConnection', SilentPeerConnection);
    const controller = new AbortController();
    const settled = vi.fn();
    void measureConnection([turn], true, { ...DEFAULT_PROBE, signal: controller.signal }).then(settled);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toHaveBeenCalledWith(expect.objectContaining({ timedOut: false }));
    expect(SilentPeerConnection.made.every((pc) => pc.closed)).toBe(true);
  });

  it('opens nothing without a relay server', async () => {
    vi.stubGlobal('RTCPeerConnection', SilentPeerConnection);
    const measured = await measureConnection([{ urls: 'stun:s.example' }], false);
    expect(measured).toEqual({ relayConfigured: false, transports: { udp: 'absent', tcp: 'absent', tls: 'absent' }, media: null, timedOut: false });
    expect(SilentPeerConnection.made).toHaveLength(0);
  });
});
