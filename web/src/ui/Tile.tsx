import { useI18n } from '../i18n/I18nProvider';
import type { Source } from '../room/protocol';
import { Avatar } from './Avatar';
import { ConnectionIndicator } from './ConnectionQuality';
import { HandIcon, MicOffIcon } from './icons';
import { TileReactions } from './Reactions';
import { TrackVideo } from './TrackVideo';
import { SPEAKING_LEVEL, useAudioLevel } from './useAudioLevel';

export interface TileModel {
  key: string;
  participantId: string;
  name: string;
  /** What the label says: the name, or "Alice's screen". */
  label: string;
  source: Extract<Source, 'camera' | 'screen'>;
  local: boolean;
  audio: boolean;
  /** The video to show; null shows the avatar. */
  video: MediaStream | null;
  /** The microphone track, for the speaking indicator. */
  microphone: MediaStreamTrack | null;
  /** Not signed in: marked as a guest. */
  guest?: boolean;
  /** Their hand is up (camera tiles only). */
  handRaised?: boolean;
}

const FIRST_REMOTE_FRAME = 'visio:first-remote-frame';

function markFirstRemoteFrame(): void {
  if (performance.getEntriesByName(FIRST_REMOTE_FRAME).length === 0) performance.mark(FIRST_REMOTE_FRAME);
}

export function Tile({ tile }: { tile: TileModel }) {
  const { t } = useI18n();
  const level = useAudioLevel(tile.source === 'camera' && tile.audio ? tile.microphone : null, 150);
  const speaking = level >= SPEAKING_LEVEL;
  const screen = tile.source === 'screen';
  const hand = !screen && Boolean(tile.handRaised);

  return (
    <figure
      className={`tile ${screen ? 'tile--screen' : ''} ${speaking ? 'tile--speaking' : ''}`}
      data-testid="tile"
      data-participant-id={tile.participantId}
      data-source={tile.source}
      data-local={String(tile.local)}
      data-audio={tile.audio ? 'on' : 'off'}
      data-video={tile.video ? 'on' : 'off'}
      data-speaking={speaking ? 'true' : 'false'}
      data-hand={hand ? 'up' : 'down'}
      aria-label={tile.label}
    >
      {tile.video ? (
        <TrackVideo
          stream={tile.video}
          mirrored={tile.local && !screen}
          contain={screen}
          onFirstFrame={tile.local ? undefined : markFirstRemoteFrame}
        />
      ) : (
        <div className="tile__placeholder">
          <Avatar name={tile.name} />
        </div>
      )}
      {hand && (
        <span className="tile__hand" role="img" aria-label={t.handRaised} data-testid="tile-hand">
          <HandIcon size={20} />
        </span>
      )}
      {!screen && <TileReactions participantId={tile.participantId} />}
      <figcaption className="tile__label">
        {!screen && <ConnectionIndicator participantId={tile.participantId} local={tile.local} />}
        {!tile.audio && !screen && (
          <span className="tile__muted" role="img" aria-label={t.micOff}>
            <MicOffIcon size={16} />
          </span>
        )}
        {speaking && <span className="sr-only">{t.speaking}</span>}
        <span className="tile__name" data-testid="tile-name">
          {tile.label}
        </span>
        {tile.guest && (
          <span className="tile__guest" data-testid="guest-badge">
            {t.guestBadge}
          </span>
        )}
      </figcaption>
    </figure>
  );
}
