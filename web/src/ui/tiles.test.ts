import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../i18n/messages';
import type { ParticipantInfo, Source } from '../room/protocol';
import type { RemoteTrack } from '../room/remoteStreams';
import { meetingTiles, remoteAudios, type LocalTileSource } from './tiles';

const { en } = MESSAGES;

/** Stand-ins for browser media objects: the tiles only pass them through. */
const stream = (name: string) => ({ name }) as unknown as MediaStream;
const track = (name: string) => ({ name }) as unknown as MediaStreamTrack;

function person(id: string, extra: Partial<ParticipantInfo> = {}): ParticipantInfo {
  return {
    id,
    name: id.replace('p_', ''),
    audio: true,
    video: true,
    screen: false,
    moderator: false,
    joined_at: '2026-01-01T10:00:00Z',
    identity: 'signed_in',
    ...extra,
  };
}

function remote(participantId: string, source: Source): RemoteTrack {
  return {
    mid: `${participantId}-${source}`,
    participantId,
    source,
    kind: source === 'microphone' ? 'audio' : 'video',
    track: track(`${participantId}-${source}`),
    stream: stream(`${participantId}-${source}`),
  };
}

const me: LocalTileSource = {
  id: 'p_me',
  name: 'Me',
  audio: true,
  microphoneTrack: track('my-mic'),
  camera: stream('my-camera'),
  screen: null,
  handRaised: false,
};

describe('meetingTiles', () => {
  it('shows you alone as one camera tile, labelled as you', () => {
    const { stageTiles, gridTiles } = meetingTiles(me, [], [], en);
    expect(stageTiles).toEqual([]);
    expect(gridTiles).toEqual([
      {
        key: 'local-camera',
        participantId: 'p_me',
        name: 'Me',
        label: `Me ${en.youSuffix}`,
        source: 'camera',
        local: true,
        audio: true,
        video: me.camera,
        microphone: me.microphoneTrack,
        handRaised: false,
      },
    ]);
  });

  it('gives no speaking indicator to your muted microphone', () => {
    expect(meetingTiles({ ...me, audio: false }, [], [], en).gridTiles[0]?.microphone).toBeNull();
  });

  it('adds one camera tile per participant, in order, with their video only when it is on and arrived', () => {
    const ann = person('p_ann', { hand_raised_at: '2026-01-01T10:05:00Z', identity: 'guest' });
    const bob = person('p_bob', { video: false });
    const carol = person('p_carol');
    const tracks = [remote('p_ann', 'camera'), remote('p_ann', 'microphone'), remote('p_bob', 'camera')];
    const { gridTiles } = meetingTiles(me, [ann, bob, carol], tracks, en);
    expect(gridTiles.map((tile) => tile.key)).toEqual(['local-camera', 'p_ann-camera', 'p_bob-camera', 'p_carol-camera']);
    const [, annTile, bobTile, carolTile] = gridTiles;
    expect(annTile).toMatchObject({ label: 'ann', local: false, guest: true, handRaised: true });
    expect(annTile?.video).toBe(tracks[0]?.stream);
    expect(annTile?.microphone).toBe(tracks[1]?.track);
    expect(bobTile?.video).toBeNull(); // Camera off, even if its track is still there.
    expect(carolTile).toMatchObject({ video: null, microphone: null, guest: false, handRaised: false });
  });

  it('puts shared screens on the stage, a remote one before your own', () => {
    const ann = person('p_ann', { screen: true });
    const bob = person('p_bob', { screen: true }); // Says so, but the track has not arrived.
    const { stageTiles, gridTiles } = meetingTiles(
      { ...me, screen: stream('my-screen') },
      [ann, bob],
      [remote('p_ann', 'screen'), remote('p_ann', 'camera')],
      en,
    );
    expect(stageTiles.map((tile) => [tile.key, tile.label])).toEqual([
      ['p_ann-screen', en.screenOf('ann')],
      ['local-screen', en.yourScreen],
    ]);
    expect(stageTiles.every((tile) => tile.source === 'screen' && tile.microphone === null)).toBe(true);
    expect(gridTiles).toHaveLength(3);
  });
});

describe('remoteAudios', () => {
  it('lists the microphones that arrived, of people still here', () => {
    const tracks = [remote('p_ann', 'microphone'), remote('p_bob', 'camera'), remote('p_gone', 'microphone')];
    expect(remoteAudios([person('p_ann'), person('p_bob')], tracks)).toEqual([
      { participantId: 'p_ann', stream: tracks[0]?.stream },
    ]);
  });
});
