import { useId } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { Source } from '../room/protocol';
import { Avatar } from './Avatar';
import { ConnectionIndicator } from './ConnectionQuality';
import { HandIcon, MicOffIcon, PinIcon, SpeakingIcon } from './icons';
import { TileReactions } from './Reactions';
import { TrackVideo } from './TrackVideo';

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
  /** The microphone track (who speaks is the server's to say: see `speaking`). */
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

interface TileProps {
  tile: TileModel;
  /** The server hears this person speak (camera tiles show it). */
  speaking?: boolean;
  /** This viewer pinned this person. */
  pinned?: boolean;
  /** Pin or unpin this person (offered on other people's camera tiles). */
  onPin?: ((pinned: boolean) => void) | undefined;
}

export function Tile({ tile, speaking: heard = false, pinned = false, onPin }: TileProps) {
  const { t } = useI18n();
  const speakingId = useId();
  const screen = tile.source === 'screen';
  const speaking = heard && !screen && tile.audio;
  const hand = !screen && Boolean(tile.handRaised);
  const pinnable = Boolean(onPin) && !screen && !tile.local;

  return (
    <figure
      className={`tile ${screen ? 'tile--screen' : ''} ${speaking ? 'tile--speaking' : ''} ${pinned ? 'tile--pinned' : ''}`}
      data-testid="tile"
      data-participant-id={tile.participantId}
      data-source={tile.source}
      data-local={String(tile.local)}
      data-audio={tile.audio ? 'on' : 'off'}
      data-video={tile.video ? 'on' : 'off'}
      data-speaking={speaking ? 'true' : 'false'}
      data-hand={hand ? 'up' : 'down'}
      data-pinned={pinned ? 'true' : 'false'}
      aria-label={tile.label}
      aria-describedby={speaking ? speakingId : undefined}
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
      {pinnable && onPin && (
        <button
          type="button"
          className={`tile__pin ${pinned ? 'tile__pin--on' : ''}`}
          data-testid="tile-pin"
          aria-pressed={pinned}
          aria-label={pinned ? t.unpin(tile.name) : t.pin(tile.name)}
          title={pinned ? t.unpin(tile.name) : t.pin(tile.name)}
          onClick={() => onPin(!pinned)}
        >
          <PinIcon size={18} />
        </button>
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
        {speaking && (
          <span className="tile__speaking" data-testid="tile-speaking">
            <SpeakingIcon size={16} />
            <span id={speakingId} className="sr-only">
              {t.speaking}
            </span>
          </span>
        )}
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
