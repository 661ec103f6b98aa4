import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import {
  EXPORT_FORMATS,
  exportUrl,
  recordingDownloadUrl,
  recordingMediaUrl,
  type Recording,
  type TranscriptDetail,
  type TranscriptTurn,
} from './api';
import { formatDateTime, formatTime } from './format';
import { fold, highlight, offsetLabel, recordingFor, seekSeconds } from './timeline';

interface TranscriptViewProps {
  transcript: TranscriptDetail;
  recordings: Recording[];
  /** The turn to show first (from a search result), or null. */
  initialTurn: number | null;
  onClose: () => void;
}

function Highlighted({ text, needle }: { text: string; needle: string }) {
  return (
    <>
      {highlight(text, needle).map((piece, index) =>
        piece.match ? <mark key={index}>{piece.text}</mark> : <span key={index}>{piece.text}</span>,
      )}
    </>
  );
}

/**
 * One transcript: each turn with its speaker and time, a search within it, the downloads, and
 * when the meeting was recorded a player that a click on a turn moves to that moment.
 */
export function TranscriptView({ transcript, recordings, initialTurn, onClose }: TranscriptViewProps) {
  const { t, language } = useI18n();
  const [needle, setNeedle] = useState('');
  const [current, setCurrent] = useState<number | null>(initialTurn);
  const player = useRef<HTMLMediaElement | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const searchId = useId();
  const recording = recordingFor(transcript, recordings);
  const title = transcript.room_name ?? transcript.room_slug;

  useEffect(() => {
    if (initialTurn !== null) {
      const row = document.querySelector<HTMLElement>(`[data-turn-id="${initialTurn}"]`);
      row?.scrollIntoView({ block: 'center' });
      row?.focus();
    } else {
      heading.current?.focus();
    }
  }, [initialTurn, transcript.id]);

  const matching = useMemo(() => {
    const wanted = fold(needle.trim());
    if (!wanted) return transcript.turns.length;
    return transcript.turns.filter((turn) => fold(`${turn.speaker} ${turn.text}`).includes(wanted)).length;
  }, [needle, transcript.turns]);

  const play = (turn: TranscriptTurn) => {
    setCurrent(turn.id);
    if (!recording || !player.current) return;
    player.current.currentTime = seekSeconds(recording, turn);
    void player.current.play().catch(() => undefined);
  };

  return (
    <section className="transcript" aria-labelledby={`${searchId}-title`} data-testid="transcript-view">
      <h2 id={`${searchId}-title`} ref={heading} tabIndex={-1}>
        {t.transcriptOf(title, formatDateTime(transcript.started_at, language))}
      </h2>
      <p>
        <button type="button" className="button button--text" onClick={onClose}>
          {t.closeTranscript}
        </button>
      </p>
      <div className="records__downloads" role="group" aria-label={t.downloads}>
        {EXPORT_FORMATS.map((format) => (
          <a
            key={format}
            className="button button--secondary"
            href={exportUrl(transcript.id, format)}
            download
            data-testid={`export-${format}`}
          >
            {t.downloadAs(format.toUpperCase())}
          </a>
        ))}
        {recording && (
          <a className="button button--secondary" href={recordingDownloadUrl(recording)} download>
            {t.downloadRecording}
          </a>
        )}
      </div>
      {recording &&
        (recording.kind === 'video' ? (
          <video
            ref={(element) => {
              player.current = element;
            }}
            className="records__player"
            src={recordingMediaUrl(recording)}
            controls
            preload="metadata"
            data-testid="recording-player"
            aria-label={t.recordingPlayer}
          />
        ) : (
          <audio
            ref={(element) => {
              player.current = element;
            }}
            className="records__player records__player--audio"
            src={recordingMediaUrl(recording)}
            controls
            preload="metadata"
            data-testid="recording-player"
            aria-label={t.recordingPlayer}
          />
        ))}
      <div className="records__search" role="search">
        <label htmlFor={searchId}>{t.searchInTranscript}</label>
        <input
          id={searchId}
          type="search"
          value={needle}
          maxLength={200}
          onChange={(event) => setNeedle(event.target.value)}
          data-testid="transcript-search"
        />
        <span role="status" className="records__muted" data-testid="transcript-search-count">
          {needle.trim() ? t.matchingTurns(matching) : ''}
        </span>
      </div>
      {transcript.turns.length === 0 && <p className="records__muted">{t.noTurns}</p>}
      <ol className="turns" data-testid="turns">
        {transcript.turns.map((turn) => {
          const content = (
            <>
              <span className="turn__head">
                <span className="turn__speaker" data-testid="turn-speaker">
                  <Highlighted text={turn.speaker} needle={needle} />
                </span>
                <time className="turn__time" dateTime={turn.started_at} title={formatTime(turn.started_at, language)}>
                  {offsetLabel(transcript, turn.started_at)}
                </time>
              </span>
              <span className="turn__text" lang={turn.language} data-testid="turn-text">
                <Highlighted text={turn.text} needle={needle} />
              </span>
            </>
          );
          const className = `turn ${current === turn.id ? 'turn--current' : ''}`;
          return (
            <li key={turn.id}>
              {recording ? (
                <button
                  type="button"
                  className={className}
                  data-turn-id={turn.id}
                  data-testid="turn"
                  aria-current={current === turn.id ? 'true' : undefined}
                  aria-label={t.playFrom(turn.speaker, offsetLabel(transcript, turn.started_at))}
                  onClick={() => play(turn)}
                >
                  {content}
                </button>
              ) : (
                <div
                  className={className}
                  data-turn-id={turn.id}
                  data-testid="turn"
                  tabIndex={-1}
                  aria-current={current === turn.id ? 'true' : undefined}
                >
                  {content}
                </div>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
