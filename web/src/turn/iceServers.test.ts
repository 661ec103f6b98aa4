import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyIceServers, IceServerRefresh } from './iceServers';

afterEach(() => {
  vi.useRealTimers();
});

describe('IceServerRefresh', () => {
  it('asks once the refresh time has passed, not before', () => {
    vi.useFakeTimers();
    const ask = vi.fn();
    const refresh = new IceServerRefresh(ask);
    refresh.schedule(2700);
    vi.advanceTimersByTime(2_699_000);
    expect(ask).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(ask).toHaveBeenCalledTimes(1);
  });

  it('never asks when nothing expires, or once stopped', () => {
    vi.useFakeTimers();
    const ask = vi.fn();
    const refresh = new IceServerRefresh(ask);
    refresh.schedule(undefined);
    refresh.schedule(null);
    vi.advanceTimersByTime(10_000_000);
    refresh.schedule(10);
    refresh.stop();
    vi.advanceTimersByTime(20_000);
    expect(ask).not.toHaveBeenCalled();
  });
});

describe('applyIceServers', () => {
  it('gives the servers to open peer connections, keeping the rest of their configuration', () => {
    const configurations: RTCConfiguration[] = [];
    const pc = {
      connectionState: 'connected',
      getConfiguration: () => ({ bundlePolicy: 'max-bundle', iceServers: [] }),
      setConfiguration: (configuration: RTCConfiguration) => configurations.push(configuration),
    } as unknown as RTCPeerConnection;
    const closed = { connectionState: 'closed', setConfiguration: vi.fn() } as unknown as RTCPeerConnection;
    const servers = [{ urls: ['turn:t.example:3478'], username: '1:p', credential: 'c' }];
    applyIceServers([pc, null, closed], servers);
    expect(configurations).toEqual([{ bundlePolicy: 'max-bundle', iceServers: servers }]);
    expect(closed.setConfiguration).not.toHaveBeenCalled();
  });
});
