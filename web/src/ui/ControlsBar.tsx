import type { ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { ChatIcon } from './ChatPanel';
import type { ReactionName } from '../room/protocol';
import { MenuButton } from './Menu';
import { ReactionsButton } from './Reactions';
import {
  CallEndIcon,
  CameraIcon,
  CameraOffIcon,
  ClosedCaptionIcon,
  ExpandLessIcon,
  HandIcon,
  KeyboardIcon,
  MoreVertIcon,
  SettingsIcon,
  ClosedCaptionOffIcon,
  MicIcon,
  MicOffIcon,
  PeopleIcon,
  ScreenShareIcon,
  StopScreenShareIcon,
  SubtitlesIcon,
} from './icons';

interface ControlsBarProps {
  audio: boolean;
  video: boolean;
  sharing: boolean;
  canShare: boolean;
  panelOpen: boolean;
  /** This person's hand is up. */
  handRaised: boolean;
  onToggleHand: () => void;
  participantCount: number;
  panelId: string;
  /** Subtitles are on for the meeting and this person shows them. */
  captionsShown: boolean;
  /** Subtitles are on for the meeting. */
  captionsEnabled: boolean;
  captionsPanelOpen: boolean;
  captionsPanelId: string;
  onToggleCaptions: () => void;
  onToggleCaptionsPanel: () => void;
  onToggleMic: () => void;
  onToggleCamera: () => void;
  onToggleScreen: () => void;
  onTogglePanel: () => void;
  onLeave: () => void;
  /** Offered to moderators, next to Leave: end the meeting for everyone (asks first). */
  onEndMeeting?: (() => void) | undefined;
  /** The layout menu (grid, speaker, shared screen, self view), before Leave. */
  layoutMenu?: ReactNode;
  chatOpen: boolean;
  chatPanelId: string;
  /** Messages from others that arrived while the chat was closed. */
  chatUnread: number;
  onToggleChat: () => void;
  /** Sends a reaction (the reactions button shows where this is given). */
  onReact?: ((reaction: ReactionName) => void) | undefined;
  /** The "more options" menu: device settings, keyboard shortcuts. */
  onOpenSettings?: (() => void) | undefined;
  onShowShortcuts?: (() => void) | undefined;
}

/**
 * The meeting's buttons. Toggle buttons keep one name and say their state with `aria-pressed`
 * (pressed: the microphone or camera is on, the screen is shared, the hand is raised, subtitles
 * show, the panel is open); the tooltip says what a click does.
 */
export function ControlsBar(props: ControlsBarProps) {
  const { t } = useI18n();
  return (
    <div className="controls" role="toolbar" aria-label={t.meetingControls}>
      <button
        type="button"
        className={`control ${props.audio ? '' : 'control--off'}`}
        data-testid="toggle-mic"
        aria-label={t.microphone}
        aria-pressed={props.audio}
        title={props.audio ? t.turnOffMic : t.turnOnMic}
        onClick={props.onToggleMic}
      >
        {props.audio ? <MicIcon /> : <MicOffIcon />}
      </button>
      <button
        type="button"
        className={`control ${props.video ? '' : 'control--off'}`}
        data-testid="toggle-camera"
        aria-label={t.camera}
        aria-pressed={props.video}
        title={props.video ? t.turnOffCamera : t.turnOnCamera}
        onClick={props.onToggleCamera}
      >
        {props.video ? <CameraIcon /> : <CameraOffIcon />}
      </button>
      {props.canShare && (
        <button
          type="button"
          className={`control ${props.sharing ? 'control--active' : ''}`}
          data-testid="toggle-screen"
          aria-label={t.shareScreen}
          aria-pressed={props.sharing}
          title={props.sharing ? t.stopSharing : t.shareScreen}
          onClick={props.onToggleScreen}
        >
          {props.sharing ? <StopScreenShareIcon /> : <ScreenShareIcon />}
        </button>
      )}
      <button
        type="button"
        className={`control ${props.handRaised ? 'control--active control--hand' : ''}`}
        data-testid="toggle-hand"
        aria-label={t.raiseHand}
        aria-pressed={props.handRaised}
        title={props.handRaised ? t.lowerHand : t.raiseHand}
        onClick={props.onToggleHand}
      >
        <HandIcon />
      </button>
      <button
        type="button"
        className={`control ${props.captionsShown ? 'control--active' : ''}`}
        data-testid="toggle-captions"
        aria-label={t.subtitles}
        aria-pressed={props.captionsShown}
        title={
          !props.captionsEnabled ? t.subtitlesOffForMeetingHint : props.captionsShown ? t.hideSubtitles : t.showSubtitles
        }
        onClick={props.onToggleCaptions}
      >
        {props.captionsShown ? <ClosedCaptionIcon /> : <ClosedCaptionOffIcon />}
      </button>
      <button
        type="button"
        className={`control ${props.panelOpen ? 'control--active' : ''}`}
        data-testid="toggle-participants"
        aria-label={`${t.participants} (${props.participantCount})`}
        aria-pressed={props.panelOpen}
        aria-controls={props.panelOpen ? props.panelId : undefined}
        title={props.panelOpen ? t.hideParticipants : t.showParticipants}
        onClick={props.onTogglePanel}
      >
        <PeopleIcon />
        {/* Drawn by CSS from data-count: a figure over an icon is part of the icon, and the
            button's name already says it (a text node here would not match that name). */}
        <span className="control__badge" aria-hidden="true" data-count={props.participantCount} />
      </button>
      <button
        type="button"
        className={`control ${props.captionsPanelOpen ? 'control--active' : ''}`}
        data-testid="toggle-captions-panel"
        aria-label={t.subtitlesPanel}
        aria-pressed={props.captionsPanelOpen}
        aria-controls={props.captionsPanelOpen ? props.captionsPanelId : undefined}
        title={props.captionsPanelOpen ? t.hideSubtitlesPanel : t.showSubtitlesPanel}
        onClick={props.onToggleCaptionsPanel}
      >
        <SubtitlesIcon />
      </button>
      {props.layoutMenu}
      <button
        type="button"
        className={`control control--chat ${props.chatOpen ? 'control--active' : ''}`}
        data-testid="toggle-chat"
        aria-label={props.chatUnread > 0 ? `${t.chat}, ${t.chatUnread(props.chatUnread)}` : t.chat}
        aria-pressed={props.chatOpen}
        aria-controls={props.chatOpen ? props.chatPanelId : undefined}
        title={props.chatOpen ? t.hideChat : t.showChat}
        onClick={props.onToggleChat}
      >
        <ChatIcon />
        {props.chatUnread > 0 && (
          <span
            className="control__badge control__badge--unread"
            data-testid="chat-unread"
            aria-hidden="true"
            data-count={props.chatUnread > 99 ? '99+' : props.chatUnread}
          />
        )}
      </button>
      {props.onReact && <ReactionsButton onReact={props.onReact} />}
      {props.onOpenSettings && props.onShowShortcuts && (
        <MenuButton
          label={t.moreOptions}
          title={t.moreOptions}
          testId="more-options"
          className="control"
          items={[
            { key: 'settings', label: t.settings, icon: <SettingsIcon size={20} />, testId: 'open-settings', onSelect: props.onOpenSettings },
            { key: 'shortcuts', label: t.keyboardShortcuts, icon: <KeyboardIcon size={20} />, testId: 'open-shortcuts', onSelect: props.onShowShortcuts },
          ]}
        >
          <MoreVertIcon />
        </MenuButton>
      )}
      <LeaveButton onLeave={props.onLeave} onEndMeeting={props.onEndMeeting} />
    </div>
  );
}

/** Leave; for moderators, with a second button beside it for "Leave" or "End meeting for everyone". */
function LeaveButton({ onLeave, onEndMeeting }: Pick<ControlsBarProps, 'onLeave' | 'onEndMeeting'>) {
  const { t } = useI18n();
  const leave = (
    <button
      type="button"
      className={`control control--leave ${onEndMeeting ? 'control--leave-split' : ''}`}
      data-testid="leave"
      aria-label={t.leave}
      title={t.leave}
      onClick={onLeave}
    >
      <CallEndIcon />
    </button>
  );
  if (!onEndMeeting) return leave;
  return (
    <span className="leave-group">
      {leave}
      <MenuButton
        label={t.leaveOptions}
        testId="leave-menu"
        className="control control--leave control--leave-more"
        items={[
          { key: 'leave', label: t.leave, icon: <CallEndIcon size={20} />, testId: 'leave-only', onSelect: onLeave },
          {
            key: 'end',
            label: t.endMeetingForEveryone,
            icon: <CallEndIcon size={20} />,
            testId: 'end-meeting',
            danger: true,
            onSelect: onEndMeeting,
          },
        ]}
      >
        <ExpandLessIcon size={20} />
      </MenuButton>
    </span>
  );
}
