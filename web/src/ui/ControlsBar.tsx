import { useI18n } from '../i18n/I18nProvider';
import {
  CallEndIcon,
  CameraIcon,
  CameraOffIcon,
  ClosedCaptionIcon,
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
}

/**
 * The meeting's buttons. Toggle buttons keep one name and say their state with `aria-pressed`
 * (pressed: the microphone or camera is on, the screen is shared, subtitles show, the panel is
 * open); the tooltip says what a click does.
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
        aria-label={t.participants}
        aria-pressed={props.panelOpen}
        aria-controls={props.panelId}
        title={props.panelOpen ? t.hideParticipants : t.showParticipants}
        onClick={props.onTogglePanel}
      >
        <PeopleIcon />
        <span className="control__badge" aria-hidden="true">
          {props.participantCount}
        </span>
      </button>
      <button
        type="button"
        className={`control ${props.captionsPanelOpen ? 'control--active' : ''}`}
        data-testid="toggle-captions-panel"
        aria-label={t.subtitlesPanel}
        aria-pressed={props.captionsPanelOpen}
        aria-controls={props.captionsPanelId}
        title={props.captionsPanelOpen ? t.hideSubtitlesPanel : t.showSubtitlesPanel}
        onClick={props.onToggleCaptionsPanel}
      >
        <SubtitlesIcon />
      </button>
      <button
        type="button"
        className="control control--leave"
        data-testid="leave"
        aria-label={t.leave}
        title={t.leave}
        onClick={props.onLeave}
      >
        <CallEndIcon />
      </button>
    </div>
  );
}
