import { describe, expect, it } from 'vitest';
import { CONNECTION_TEST_MESSAGES } from './messages';
import { relaysByTransport, transportOf } from './probe';
import { connectionVerdict, type Measurements, type MediaSample, type TransportResult } from './verdict';

function measured(
  transports: [TransportResult, TransportResult, TransportResult],
  media: MediaSample | null,
  extra: Partial<Measurements> = {},
): Measurements {
  const [udp, tcp, tls] = transports;
  return { relayConfigured: true, transports: { udp, tcp, tls }, media, timedOut: false, ...extra };
}

/** `sent` pings, the first `back` of which came back after `rtt` ms each. */
function pings(transport: MediaSample['transport'], sent: number, back: number, rtt: number): MediaSample {
  return { transport, sent, roundTripsMs: Array.from({ length: back }, () => rtt) };
}

describe('connectionVerdict', () => {
  it('says direct UDP and good on an open, quick network', () => {
    const verdict = connectionVerdict(measured(['open', 'open', 'open'], pings('udp', 30, 30, 40)));
    expect(verdict).toEqual({ path: 'direct-udp', quality: 'good', level: 'ok', roundTripMs: 20, lossPercent: 0, advice: [] });
  });

  it('goes through the relay over TCP when UDP is blocked, and says why', () => {
    const verdict = connectionVerdict(measured(['blocked', 'open', 'open'], pings('tcp', 30, 30, 60)));
    expect(verdict).toMatchObject({ path: 'turn-tcp', quality: 'good', level: 'warning', roundTripMs: 30, advice: ['udp-blocked'] });
  });

  it('falls back to TLS on 443 when that is all that gets out', () => {
    const verdict = connectionVerdict(measured(['blocked', 'blocked', 'open'], pings('tls', 30, 30, 80)));
    expect(verdict).toMatchObject({ path: 'turn-tls', advice: ['udp-blocked', 'only-tls'] });
  });

  it('uses TLS when Visio offers no plain TCP and UDP is blocked', () => {
    expect(connectionVerdict(measured(['blocked', 'absent', 'open'], pings('tls', 10, 10, 50))).path).toBe('turn-tls');
  });

  it('is an error when nothing reaches the relay, with a timeout mentioned', () => {
    const verdict = connectionVerdict(measured(['blocked', 'blocked', 'blocked'], null, { timedOut: true }));
    expect(verdict).toEqual({ path: 'none', quality: 'unknown', level: 'error', roundTripMs: null, lossPercent: null, advice: ['blocked', 'timed-out'] });
  });

  it('grades round trip: fair above 150 ms, poor above 300 ms (half the loop)', () => {
    const at = (loop: number) => connectionVerdict(measured(['open', 'open', 'open'], pings('udp', 20, 20, loop)));
    expect(at(300)).toMatchObject({ roundTripMs: 150, quality: 'good', advice: [] });
    expect(at(320)).toMatchObject({ roundTripMs: 160, quality: 'fair', level: 'warning', advice: ['slow'] });
    expect(at(640)).toMatchObject({ roundTripMs: 320, quality: 'poor', advice: ['slow'] });
  });

  it('grades loss: fair above 2 %, poor above 8 %', () => {
    const lost = (back: number) => connectionVerdict(measured(['open', 'open', 'open'], pings('udp', 100, back, 40)));
    expect(lost(98)).toMatchObject({ lossPercent: 2, quality: 'good' });
    expect(lost(95)).toMatchObject({ lossPercent: 5, quality: 'fair', advice: ['lossy'] });
    expect(lost(80)).toMatchObject({ lossPercent: 20, quality: 'poor', advice: ['lossy'] });
  });

  it('takes the median round trip, so one late ping does not spoil it', () => {
    const sample: MediaSample = { transport: 'udp', sent: 5, roundTripsMs: [40, 42, 2000, 38, 44] };
    expect(connectionVerdict(measured(['open', 'open', 'open'], sample)).roundTripMs).toBe(21);
  });

  it('says the relay answered but quality is unknown when the loop never carried a ping', () => {
    for (const media of [null, pings('udp', 0, 0, 0), pings('udp', 30, 0, 0)]) {
      expect(connectionVerdict(measured(['open', 'open', 'open'], media))).toMatchObject({
        path: 'direct-udp',
        quality: 'unknown',
        level: 'warning',
        roundTripMs: null,
        advice: ['unmeasured'],
      });
    }
  });

  it('cannot test without a relay server, and says so', () => {
    const verdict = connectionVerdict(measured(['absent', 'absent', 'absent'], null, { relayConfigured: false }));
    expect(verdict).toMatchObject({ path: 'unknown', level: 'warning', advice: ['no-relay-configured'] });
  });

  it('has a sentence for every advice and path in both languages', () => {
    const { en, fr } = CONNECTION_TEST_MESSAGES;
    expect(Object.keys(fr.advice).sort()).toEqual(Object.keys(en.advice).sort());
    expect(Object.keys(fr.path).sort()).toEqual(Object.keys(en.path).sort());
    expect(fr.advice['udp-blocked']).toMatch(/UDP/);
    expect(fr.percent(2.5)).toBe('2,5 %');
  });
});

describe('relaysByTransport', () => {
  it('keeps the first URL of each transport, with its credential', () => {
    const turn = {
      urls: ['turn:t.example:3478?transport=udp', 'turn:t.example:3478?transport=tcp', 'turns:t.example:443?transport=tcp'],
      username: '1:test-a',
      credential: 'c',
    };
    const found = relaysByTransport([{ urls: 'stun:s.example' }, turn]);
    expect(found.udp).toEqual({ urls: ['turn:t.example:3478?transport=udp'], username: '1:test-a', credential: 'c' });
    expect(found.tcp?.urls).toEqual(['turn:t.example:3478?transport=tcp']);
    expect(found.tls?.urls).toEqual(['turns:t.example:443?transport=tcp']);
  });

  it('reads the transport of a URL (UDP unless it says TCP; turns: is TLS)', () => {
    expect(['turn:h', 'turn:h:3478?transport=TCP', 'turns:h', 'stun:h'].map(transportOf)).toEqual(['udp', 'tcp', 'tls', null]);
  });
});
