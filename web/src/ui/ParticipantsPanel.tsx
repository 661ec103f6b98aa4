import { useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import type { ModerationAction } from '../room/protocol';
import { Avatar } from './Avatar';
import { ConfirmDialog } from './ConfirmDialog';
import {
  CameraIcon,
  CameraOffIcon,
  CloseIcon,
  HandIcon,
  LockIcon,
  LockOpenIcon,
  MicIcon,
  MicOffIcon,
  MoreVertIcon,
  PersonRemoveIcon,
  ScreenShareIcon,
  ShieldIcon,
  StopScreenShareIcon,
  PinIcon,
} from './icons';
import { MenuButton, type MenuItem } from './Menu';
import { byRaisedHand, moderationActions, type ModerationTarget, type Moderator } from './moderation';

export interface ParticipantRow {
  id: string;
  name: string;
  local: boolean;
  moderator: boolean;
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** Not signed in: marked as a guest. */
  guest?: boolean;
  /** Several people use their microphone (a meeting room), as they said before joining. */
  sharedDevice?: boolean;
  /** When they raised their hand (ISO time); absent while it is down. */
  handRaisedAt?: string | undefined;
  /** Their role in the room, if they hold one. */
  role?: ModerationTarget['role'];
}

/** What a moderator can do from the panel; absent for everyone else, who see no such controls. */
export interface PanelModeration {
  /** You, as a moderator: what the menus may offer depends on your role and standing. */
  by: Moderator;
  locked: boolean;
  onModerate: (action: ModerationAction, participant: ParticipantRow) => void;
  onMuteAll: () => void;
  onLock: (locked: boolean) => void;
}

interface ParticipantsPanelProps {
  id: string;
  rows: ParticipantRow[];
  moderation: PanelModeration | null;
  onClose: () => void;
  /** Whom this viewer pinned (shown large or first), and how to pin or unpin someone. */
  pinned?: string | null;
  onPin?: (row: ParticipantRow, pinned: boolean) => void;
}

const ACTION_TEST_IDS: Record<ModerationAction, string> = {
  mute: 'moderate-mute',
  camera_off: 'moderate-camera-off',
  stop_screen: 'moderate-stop-screen',
  lower_hand: 'moderate-lower-hand',
  promote: 'moderate-promote',
  remove: 'moderate-remove',
};

function actionLabel(action: ModerationAction, t: Messages): string {
  switch (action) {
    case 'mute':
      return t.moderateMute;
    case 'camera_off':
      return t.moderateCameraOff;
    case 'stop_screen':
      return t.moderateStopScreen;
    case 'lower_hand':
      return t.moderateLowerHand;
    case 'promote':
      return t.moderatePromote;
    case 'remove':
      return t.moderateRemove;
  }
}

const ACTION_ICONS: Record<ModerationAction, ReactNode> = {
  mute: <MicOffIcon size={20} />,
  camera_off: <CameraOffIcon size={20} />,
  stop_screen: <StopScreenShareIcon size={20} />,
  lower_hand: <HandIcon size={20} />,
  promote: <ShieldIcon size={20} />,
  remove: <PersonRemoveIcon size={20} />,
};

/**
 * The list of people in the meeting with their microphone and camera states, raised hands first
 * (in the order they went up): a labelled region.
 * Moderators also get "Mute everyone", the room lock, and a menu of actions on each person.
 */
export function ParticipantsPanel({ id, rows, moderation, onClose, pinned = null, onPin }: ParticipantsPanelProps) {
  const { t } = useI18n();
  const headingId = `${id}-heading`;
  const heading = useRef<HTMLHeadingElement>(null);
  const [removing, setRemoving] = useState<ParticipantRow | null>(null);
  const othersUnmuted = rows.some((row) => !row.local && !row.moderator && row.audio);

  const menuItems = (row: ParticipantRow, controls: PanelModeration): MenuItem[] =>
    moderationActions({ ...row, handRaised: Boolean(row.handRaisedAt) }, controls.by).map((action) => ({
      key: action,
      label: actionLabel(action, t),
      icon: ACTION_ICONS[action],
      testId: ACTION_TEST_IDS[action],
      danger: action === 'remove',
      onSelect: () => (action === 'remove' ? setRemoving(row) : controls.onModerate(action, row)),
    }));

  return (
    <aside id={id} className="panel" role="region" aria-labelledby={headingId}>
      <div className="panel__header">
        <h2 id={headingId} ref={heading} tabIndex={-1}>
          {t.participants} <span className="panel__count">({rows.length})</span>
        </h2>
        <button type="button" className="icon-button" aria-label={t.closePanel} title={t.closePanel} onClick={onClose}>
          <CloseIcon />
        </button>
      </div>
      {moderation && (
        <div className="moderation-bar" role="group" aria-label={t.moderatorControls}>
          <button
            type="button"
            className="chip-button"
            data-testid="mute-all"
            title={t.muteEveryoneHint}
            disabled={!othersUnmuted}
            onClick={moderation.onMuteAll}
          >
            <MicOffIcon size={18} />
            {t.muteEveryone}
          </button>
          <button
            type="button"
            className={`chip-button ${moderation.locked ? 'chip-button--on' : ''}`}
            data-testid="lock-room"
            aria-pressed={moderation.locked}
            title={moderation.locked ? t.unlockMeetingHint : t.lockMeetingHint}
            onClick={() => moderation.onLock(!moderation.locked)}
          >
            {moderation.locked ? <LockIcon size={18} /> : <LockOpenIcon size={18} />}
            {t.lockMeeting}
          </button>
        </div>
      )}
      {moderation?.locked && <p className="panel__note">{t.meetingLockedNote}</p>}
      <ul className="panel__list" data-testid="participants-list">
        {byRaisedHand(rows).map((row) => (
          <li
            key={row.id}
            className="person"
            data-participant-id={row.id}
            data-moderator={String(row.moderator)}
            data-audio={row.audio ? 'on' : 'off'}
            data-video={row.video ? 'on' : 'off'}
            data-hand={row.handRaisedAt ? 'up' : 'down'}
          >
            <Avatar name={row.name} size="small" />
            <span className="person__name">
              <span className="person__label">
                {row.name}
                {row.local && <span className="person__you"> {t.youSuffix}</span>}
              </span>
              {row.moderator && <span className="person__role">{t.moderatorBadge}</span>}
              {row.guest && (
                <span className="person__role person__role--guest" data-testid="guest-badge">
                  {t.guestBadge}
                </span>
              )}
              {row.sharedDevice && (
                <span
                  className="person__role person__role--shared"
                  data-testid="shared-device-badge"
                  title={t.sharedDeviceBadgeHint}
                >
                  {t.sharedDeviceBadge}
                </span>
              )}
            </span>
            <span className="person__states">
              {row.handRaisedAt && (
                <span role="img" aria-label={t.handRaised} className="person__state person__state--hand" data-testid="person-hand">
                  <HandIcon size={18} />
                </span>
              )}
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
            {onPin && !row.local && (
              <button
                type="button"
                className={`icon-button person__pin ${pinned === row.id ? 'person__pin--on' : ''}`}
                data-testid="person-pin"
                aria-pressed={pinned === row.id}
                aria-label={pinned === row.id ? t.unpin(row.name) : t.pin(row.name)}
                title={pinned === row.id ? t.unpin(row.name) : t.pin(row.name)}
                onClick={() => onPin(row, pinned !== row.id)}
              >
                <PinIcon size={18} />
              </button>
            )}
            {moderation &&
              (row.local || menuItems(row, moderation).length === 0 ? (
                <span className="person__actions-spacer" aria-hidden="true" />
              ) : (
                <MenuButton
                  label={t.moreActionsFor(row.name)}
                  testId="moderate-menu"
                  className="icon-button person__actions"
                  items={menuItems(row, moderation)}
                >
                  <MoreVertIcon size={20} />
                </MenuButton>
              ))}
          </li>
        ))}
      </ul>
      {moderation && removing && rows.some((row) => row.id === removing.id) && (
        <ConfirmDialog
          title={t.removeConfirmTitle(removing.name)}
          text={t.removeConfirmText(removing.name)}
          confirmLabel={t.remove}
          focusAfterConfirm={heading}
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            moderation.onModerate('remove', removing);
            setRemoving(null);
          }}
        />
      )}
    </aside>
  );
}
