import { useI18n } from '../i18n/I18nProvider';
import { Avatar } from './Avatar';
import { CameraIcon, CameraOffIcon, CloseIcon, MicIcon, MicOffIcon, ScreenShareIcon } from './icons';

export interface ParticipantRow {
  id: string;
  name: string;
  local: boolean;
  moderator: boolean;
  audio: boolean;
  video: boolean;
  screen: boolean;
}

interface ParticipantsPanelProps {
  id: string;
  rows: ParticipantRow[];
  onClose: () => void;
}

/** The list of people in the meeting with their microphone and camera states: a labelled region. */
export function ParticipantsPanel({ id, rows, onClose }: ParticipantsPanelProps) {
  const { t } = useI18n();
  const headingId = `${id}-heading`;
  return (
    <aside id={id} className="panel" role="region" aria-labelledby={headingId}>
      <div className="panel__header">
        <h2 id={headingId}>
          {t.participants} <span className="panel__count">({rows.length})</span>
        </h2>
        <button type="button" className="icon-button" aria-label={t.closePanel} title={t.closePanel} onClick={onClose}>
          <CloseIcon />
        </button>
      </div>
      <ul className="panel__list" data-testid="participants-list">
        {rows.map((row) => (
          <li
            key={row.id}
            className="person"
            data-participant-id={row.id}
            data-moderator={String(row.moderator)}
            data-audio={row.audio ? 'on' : 'off'}
            data-video={row.video ? 'on' : 'off'}
          >
            <Avatar name={row.name} size="small" />
            <span className="person__name">
              {row.name}
              {row.local && <span className="person__you"> {t.youSuffix}</span>}
              {row.moderator && <span className="person__role">{t.moderatorBadge}</span>}
            </span>
            <span className="person__states">
              {row.screen && (
                <span role="img" aria-label={t.presenting} className="person__state">
                  <ScreenShareIcon size={18} />
                </span>
              )}
              <span role="img" aria-label={row.audio ? t.micOn : t.micOff} className={`person__state ${row.audio ? '' : 'person__state--off'}`}>
                {row.audio ? <MicIcon size={18} /> : <MicOffIcon size={18} />}
              </span>
              <span role="img" aria-label={row.video ? t.cameraOn : t.cameraOff} className={`person__state ${row.video ? '' : 'person__state--off'}`}>
                {row.video ? <CameraIcon size={18} /> : <CameraOffIcon size={18} />}
              </span>
            </span>
          </li>
        ))}
      </ul>
    </aside>
  );
}
