import { describe, expect, it } from 'vitest';
import { reportSelectedPath, selectedPath, type PathStatsEntry } from './relayPath';

function stats(local: Partial<PathStatsEntry>, selected = true): PathStatsEntry[] {
  return [
    { id: 'T', type: 'transport', ...(selected ? { selectedCandidatePairId: 'P' } : {}) },
    { id: 'P', type: 'candidate-pair', localCandidateId: 'L', nominated: true, state: 'succeeded' },
    { id: 'L', type: 'local-candidate', ...local },
  ];
}

describe('selectedPath', () => {
  it('says direct for a host candidate', () => {
    expect(selectedPath(stats({ candidateType: 'host', protocol: 'udp' }))).toEqual({ candidateType: 'host', relay: null });
  });

  it('names the protocol to the relay', () => {
    expect(selectedPath(stats({ candidateType: 'relay', relayProtocol: 'tcp' }))?.relay).toBe('tcp');
    expect(selectedPath(stats({ candidateType: 'relay', relayProtocol: 'tls' }))?.relay).toBe('tls');
    expect(selectedPath(stats({ candidateType: 'relay', relayProtocol: 'udp' }))?.relay).toBe('udp');
  });

  it('falls back to the nominated pair when the transport names none', () => {
    expect(selectedPath(stats({ candidateType: 'relay', relayProtocol: 'tls' }, false))?.relay).toBe('tls');
  });

  it('knows nothing before a pair is selected', () => {
    expect(selectedPath([{ id: 'T', type: 'transport' }])).toBeNull();
  });
});

describe('reportSelectedPath', () => {
  const pcWith = (entries: PathStatsEntry[]) =>
    ({ getStats: async () => new Map(entries.map((entry) => [entry.id, entry])) }) as unknown as RTCPeerConnection;

  it('reports a relayed path with its protocol', async () => {
    const sent: unknown[] = [];
    await reportSelectedPath(pcWith(stats({ candidateType: 'relay', relayProtocol: 'tls' })), 'subscriber', (m) => sent.push(m));
    expect(sent).toEqual([{ type: 'media.path', target: 'subscriber', candidate_type: 'relay', relay_protocol: 'tls' }]);
  });

  it('reports a direct path without protocol, and nothing before a pair is selected', async () => {
    const sent: unknown[] = [];
    await reportSelectedPath(pcWith(stats({ candidateType: 'host' })), 'publisher', (m) => sent.push(m));
    const none = await reportSelectedPath(pcWith([{ id: 'T', type: 'transport' }]), 'publisher', (m) => sent.push(m), {
      attempts: 2,
      retryMs: 1,
    });
    expect(none).toBe(false);
    expect(sent).toEqual([{ type: 'media.path', target: 'publisher', candidate_type: 'host' }]);
  });

  it('asks again when the pair is selected after the connection says connected', async () => {
    const answers = [[{ id: 'T', type: 'transport' }], [{ id: 'T', type: 'transport' }], stats({ candidateType: 'relay', relayProtocol: 'tcp' })];
    let calls = 0;
    const pc = {
      connectionState: 'connected',
      getStats: async () => {
        const entries = answers[Math.min(calls, answers.length - 1)] ?? [];
        calls += 1;
        return new Map(entries.map((entry) => [entry.id, entry]));
      },
    } as unknown as RTCPeerConnection;
    const sent: unknown[] = [];
    expect(await reportSelectedPath(pc, 'subscriber', (m) => sent.push(m), { attempts: 5, retryMs: 1 })).toBe(true);
    expect(calls).toBe(3);
    expect(sent).toEqual([{ type: 'media.path', target: 'subscriber', candidate_type: 'relay', relay_protocol: 'tcp' }]);
  });
});
