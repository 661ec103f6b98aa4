import type { Messages } from '../i18n/messages';
import type { ParticipantInfo } from '../room/protocol';
import type { RemoteTrack } from '../room/remoteStreams';
import type { TileModel } from './Tile';

/** This person, as their own tiles show them. */
export interface LocalTileSource {
  /** Their participant id (or a stand-in before joining). */
  id: string;
  name: string;
  audio: boolean;
  microphoneTrack: MediaStreamTrack | null;
  /** The camera's stream while the camera is on. */
  camera: MediaStream | null;
  /** The shared screen's stream. */
  screen: MediaStream | null;
  handRaised: boolean;
}

export interface MeetingTiles {
  /** Screens being shared: the stage, when there is any. */
  stageTiles: TileModel[];
  /** One camera tile per person, you first, then the others in order of arrival. */
  gridTiles: TileModel[];
}

export function trackOf(
  tracks: readonly RemoteTrack[],
  participantId: string,
  source: RemoteTrack['source'],
): RemoteTrack | undefined {
  return tracks.find((track) => track.participantId === participantId && track.source === source);
}

/**
 * The meeting's tiles. A remote camera shows only while its owner says it is on and its track has
 * arrived; a remote screen only while both hold. A remote screen comes before one's own: it is
 * what people want to see.
 */
export function meetingTiles(
  self: LocalTileSource,
  participants: readonly ParticipantInfo[],
  tracks: readonly RemoteTrack[],
  t: Messages,
): MeetingTiles {
  const screens: TileModel[] = [];
  const cameras: TileModel[] = [
    {
      key: 'local-camera',
      participantId: self.id,
      name: self.name,
      label: `${self.name} ${t.youSuffix}`,
      source: 'camera',
      local: true,
      audio: self.audio,
      video: self.camera,
      microphone: self.audio ? self.microphoneTrack : null,
      handRaised: self.handRaised,
    },
  ];
  if (self.screen) {
    screens.push({
      key: 'local-screen',
      participantId: self.id,
      name: self.name,
      label: t.yourScreen,
      source: 'screen',
      local: true,
      audio: self.audio,
      video: self.screen,
      microphone: null,
    });
  }
  for (const participant of participants) {
    const camera = trackOf(tracks, participant.id, 'camera');
    const microphone = trackOf(tracks, participant.id, 'microphone');
    cameras.push({
      key: `${participant.id}-camera`,
      participantId: participant.id,
      name: participant.name,
      label: participant.name,
      source: 'camera',
      local: false,
      audio: participant.audio,
      video: participant.video && camera ? camera.stream : null,
      microphone: microphone?.track ?? null,
      guest: participant.identity === 'guest',
      handRaised: Boolean(participant.hand_raised_at),
    });
    const screen = trackOf(tracks, participant.id, 'screen');
    if (participant.screen && screen) {
      screens.push({
        key: `${participant.id}-screen`,
        participantId: participant.id,
        name: participant.name,
        label: t.screenOf(participant.name),
        source: 'screen',
        local: false,
        audio: participant.audio,
        video: screen.stream,
        microphone: null,
      });
    }
  }
  screens.sort((a, b) => Number(a.local) - Number(b.local));
  return { stageTiles: screens, gridTiles: cameras };
}

/** The others' microphones, one audio element each. */
export function remoteAudios(
  participants: readonly ParticipantInfo[],
  tracks: readonly RemoteTrack[],
): { participantId: string; stream: MediaStream }[] {
  return participants.flatMap((participant) => {
    const microphone = trackOf(tracks, participant.id, 'microphone');
    return microphone ? [{ participantId: participant.id, stream: microphone.stream }] : [];
  });
}
