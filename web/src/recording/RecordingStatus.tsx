import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { RoomSession } from '../room/session';
import { useRecording } from './useRecording';
import './recording.css';

interface RecordingStatusProps {
  session: RoomSession;
  /** Moderators also get the start and stop controls. */
  moderator: boolean;
}

/**
 * Everyone sees that the meeting is recorded (a red "Recording" badge, announced to screen
 * readers when it starts and stops); moderators start it (audio only, or audio and video) and
 * stop it from here.
 */
export function RecordingStatus({ session, moderator }: RecordingStatusProps) {
  const { t } = useI18n();
  const recording = useRecording(session);
  const [choosing, setChoosing] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const previous = useRef(recording.active);

  useEffect(() => {
    if (previous.current !== recording.active) {
      setAnnouncement(recording.active ? t.recordingStartedAnnouncement(recording.video) : t.recordingStoppedAnnouncement);
      previous.current = recording.active;
    }
    setChoosing(false);
  }, [recording, t]);

  const start = (video: boolean) => {
    setChoosing(false);
    session.startRecording(video);
  };

  return (
    <div className="recording-status">
      {recording.active && (
        <p className="recording-indicator" data-testid="recording-indicator" data-video={String(recording.video)}>
          <span className="recording-indicator__dot" aria-hidden="true" />
          <span>{recording.video ? t.recordingVideoOn : t.recordingAudioOn}</span>
        </p>
      )}
      {moderator && recording.active && (
        <button type="button" className="recording-button" data-testid="recording-stop" onClick={() => session.stopRecording()}>
          {t.recordingStop}
        </button>
      )}
      {moderator && !recording.active && (
        <div className="recording-choice">
          <button
            type="button"
            className="recording-button"
            data-testid="recording-menu"
            aria-expanded={choosing}
            onClick={() => setChoosing((open) => !open)}
          >
            {t.recordingStart}
          </button>
          {choosing && (
            <div className="recording-choice__options" role="group" aria-label={t.recordingStart}>
              <button type="button" className="recording-button" data-testid="recording-start-audio" onClick={() => start(false)}>
                {t.recordingAudioOnly}
              </button>
              <button type="button" className="recording-button" data-testid="recording-start-video" onClick={() => start(true)}>
                {t.recordingAudioAndVideo}
              </button>
            </div>
          )}
        </div>
      )}
      <div className="sr-only" aria-live="assertive" data-testid="recording-announcement">
        {announcement}
      </div>
    </div>
  );
}

/** On the pre-join screen, before the camera and microphone are used: this meeting is recorded. */
export function PrejoinRecordingNotice({ recording }: { recording: boolean }) {
  const { t } = useI18n();
  if (!recording) return null;
  return (
    <p className="prejoin-recording-notice" role="note" data-testid="prejoin-recording-notice">
      <span className="recording-indicator__dot" aria-hidden="true" />
      <span>{t.recordingPrejoinNotice}</span>
    </p>
  );
}
