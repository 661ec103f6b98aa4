import { describe, expect, it } from 'vitest';
import type { StreamInfo } from './protocol';
import { RemoteStreamMap } from './remoteStreams';

interface FakeTrack {
  id: string;
  readyState?: string;
}

const transceiver = (mid: string | null, track: FakeTrack) => ({ mid, receiver: { track } });
const bobMic: StreamInfo = { mid: '0', participant_id: 'p_bob', source: 'microphone', kind: 'audio' };
const bobCamera: StreamInfo = { mid: '1', participant_id: 'p_bob', source: 'camera', kind: 'video' };
const carolScreen: StreamInfo = { mid: '2', participant_id: 'p_carol', source: 'screen', kind: 'video' };

function makeMap() {
  let created = 0;
  const map = new RemoteStreamMap<FakeTrack, { n: number; trackId: string }>((track) => ({ n: ++created, trackId: track.id }));
  return map;
}

describe('RemoteStreamMap', () => {
  it('maps each transceiver mid to the participant and source of the offer', () => {
    const map = makeMap();
    map.setStreams([bobMic, bobCamera, carolScreen]);
    const tracks = map.resolve([transceiver('0', { id: 'a' }), transceiver('1', { id: 'v' }), transceiver('2', { id: 's' })]);
    expect(tracks.map((t) => [t.participantId, t.source, t.kind, t.track.id])).toEqual([
      ['p_bob', 'microphone', 'audio', 'a'],
      ['p_bob', 'camera', 'video', 'v'],
      ['p_carol', 'screen', 'video', 's'],
    ]);
    expect(map.describe('2')).toEqual(carolScreen);
    expect(map.describe(null)).toBeUndefined();
  });

  it('takes the latest offer as authoritative: unlisted mids carry nothing', () => {
    const map = makeMap();
    const transceivers = [transceiver('0', { id: 'a' }), transceiver('1', { id: 'v' })];
    map.setStreams([bobMic, bobCamera]);
    map.resolve(transceivers);
    map.setStreams([bobMic]);
    expect(map.resolve(transceivers).map((t) => t.source)).toEqual(['microphone']);
  });

  it('keeps the same stream object across offers while the track is the same', () => {
    const map = makeMap();
    const transceivers = [transceiver('0', { id: 'a' }), transceiver('1', { id: 'v' })];
    map.setStreams([bobMic]);
    const first = map.resolve(transceivers)[0]?.stream;
    map.setStreams([bobMic, bobCamera]);
    expect(map.resolve(transceivers)[0]?.stream).toBe(first);
  });

  it('gives a new stream when a reused mid now carries someone else', () => {
    const map = makeMap();
    const transceivers = [transceiver('1', { id: 'v' })];
    map.setStreams([bobCamera]);
    const bobStream = map.resolve(transceivers)[0]?.stream;
    map.setStreams([{ ...bobCamera, participant_id: 'p_dan' }]);
    const [danTrack] = map.resolve(transceivers);
    expect(danTrack?.participantId).toBe('p_dan');
    expect(danTrack?.stream).not.toBe(bobStream);
  });

  it('skips ended tracks and mids without a transceiver', () => {
    const map = makeMap();
    map.setStreams([bobMic, bobCamera]);
    expect(map.resolve([transceiver('0', { id: 'a', readyState: 'ended' })])).toEqual([]);
  });
});
