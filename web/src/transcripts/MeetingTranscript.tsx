import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { TranscriptionInfo } from '../room/protocol';
import type { RoomSession } from '../room/session';
import './transcripts.css';

/** Whether the meeting is being transcribed, following the session. */
export function useTranscription(session: RoomSession): TranscriptionInfo {
  const [state, setState] = useState<TranscriptionInfo>(session.transcription);
  useEffect(() => session.on('transcription', setState), [session]);
  return state;
}

/**
 * "Transcript on", for everyone in the meeting, announced when it starts and stops (the live
 * region is always there, so screen readers hear the change); moderators get the button that
 * starts or stops it.
 */
export function TranscriptIndicator({
  session,
  state,
  moderator,
}: {
  session: RoomSession;
  state: TranscriptionInfo;
  moderator: boolean;
}) {
  const { t } = useI18n();
  return (
    <div className="transcript-indicator">
      <p className="sr-only" aria-live="polite" data-testid="transcript-announcement">
        {state.active ? t.transcriptOnAnnouncement : ''}
      </p>
      {state.active && (
        <p className="stage-indicator transcript-indicator__on" data-testid="transcript-indicator">
          <span className="transcript-indicator__dot" aria-hidden="true" />
          <span>{t.transcriptOn}</span>
        </p>
      )}
      {moderator && (
        <button
          type="button"
          className="stage-indicator transcript-indicator__toggle"
          data-testid={state.active ? 'transcript-stop' : 'transcript-start'}
          aria-pressed={state.active}
          onClick={() => (state.active ? session.stopTranscription() : session.startTranscription())}
        >
          {state.active ? t.transcriptStop : t.transcriptStart}
        </button>
      )}
    </div>
  );
}

/** On the pre-join screen: the meeting is transcribed, before the person's voice is. */
export function PreJoinTranscriptNotice({ transcribing }: { transcribing: boolean | undefined }) {
  const { t } = useI18n();
  if (!transcribing) return null;
  return (
    <p className="prejoin-transcript-notice" role="note" data-testid="prejoin-transcript-notice">
      <span className="transcript-indicator__dot" aria-hidden="true" />
      {t.transcriptPreJoinNotice}
    </p>
  );
}
