import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import {
  EXPORT_FORMATS,
  exportUrl,
  recordingDownloadUrl,
  recordingMediaUrl,
  withSpeakerRenamed,
  type Recording,
  type Speaker,
  type TranscriptDetail,
  type TranscriptTurn,
} from './api';
import { formatDateTime, formatTime } from './format';
import { RenameSpeakerDialog } from './RenameSpeakerDialog';
import { fold, highlight, offsetLabel, recordingFor, seekSeconds } from './timeline';

interface TranscriptViewProps {
  transcript: TranscriptDetail;
  recordings: Recording[];
  /** The turn to show first (from a search result), or null. */
  initialTurn: number | null;
  onClose: () => void;
  /**
   * The signed-in person's CSRF token: with it, and when the server says they may
   * (`can_rename`), each speaker gets a Rename button.
   */
  csrfToken?: string | null;
  /** The transcript after a speaker was renamed (the page keeps it), with a sentence saying so. */
  onChange?: (transcript: TranscriptDetail, announcement: string) => void;
}

/** A speaker of the list: `namesake` numbers people who share a name (from 1), else 0. */
export interface ListedSpeaker extends Speaker {
  turns: number;
  namesake: number;
}

/**
 * Each speaker once, in the order they first spoke, with how many turns they have. A speaker is a
 * name and who spoke under it: a signed-in person (all their participants, should they have
 * rejoined), or a guest's participant. Two people of the same name are listed apart, numbered.
 */
export function speakersOf(turns: readonly TranscriptTurn[]): ListedSpeaker[] {
  const found = new Map<string, ListedSpeaker>();
  for (const turn of turns) {
    const who = turn.user_id !== null ? `u${turn.user_id}` : `p${turn.participant_id}`;
    const key = `${who}\u0000${turn.speaker}`;
    let entry = found.get(key);
    if (!entry) {
      entry = { speaker: turn.speaker, participants: [], turns: 0, namesake: 0 };
      found.set(key, entry);
    }
    entry.turns++;
    if (!entry.participants.includes(turn.participant_id)) entry.participants.push(turn.participant_id);
  }
  const speakers = [...found.values()];
  const named = new Map<string, ListedSpeaker[]>();
  for (const entry of speakers) named.set(entry.speaker, [...(named.get(entry.speaker) ?? []), entry]);
  for (const same of named.values()) if (same.length > 1) same.forEach((entry, index) => (entry.namesake = index + 1));
  return speakers;
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
 * when the meeting was recorded a player that a click on a turn moves to that moment. Its
 * speakers are listed once each; those who may (`can_rename`) rename one there.
 */
export function TranscriptView({
  transcript,
  recordings,
  initialTurn,
  onClose,
  csrfToken = null,
  onChange,
}: TranscriptViewProps) {
  const { t, language } = useI18n();
  const [needle, setNeedle] = useState('');
  const [renaming, setRenaming] = useState<Speaker | null>(null);
  const speakers = useMemo(() => speakersOf(transcript.turns), [transcript.turns]);
  const mayRename = Boolean(transcript.can_rename && csrfToken && onChange);
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
      {speakers.length > 0 && (
        <section className="speakers" aria-labelledby={`${searchId}-speakers`}>
          <h3 id={`${searchId}-speakers`}>{t.speakersHeading}</h3>
          <ul className="speakers__list" data-testid="speakers">
            {speakers.map(({ speaker, participants, turns, namesake }, index) => (
              // By position: after a rename the same row (and the focus on its button) stays.
              <li key={index} className="speakers__item" data-testid="speaker">
                <span className="speakers__name">
                  <span className="turn__speaker" data-testid="speaker-name">
                    {speaker}
                  </span>{' '}
                  {namesake > 0 && (
                    <span className="records__muted" data-testid="speaker-namesake">
                      {t.namesake(namesake)}{' '}
                    </span>
                  )}
                  <span className="records__muted">{t.speakerTurns(turns)}</span>
                </span>
                {mayRename && (
                  <button
                    type="button"
                    className="button button--secondary speakers__rename"
                    aria-label={t.renameSpeakerOf(namesake > 0 ? `${speaker}, ${t.namesake(namesake)}` : speaker)}
                    data-testid="rename-speaker"
                    onClick={() => setRenaming({ speaker, participants })}
                  >
                    {t.renameSpeaker}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {renaming !== null && csrfToken && onChange && (
        <RenameSpeakerDialog
          transcriptId={transcript.id}
          speaker={renaming}
          csrfToken={csrfToken}
          onClose={() => setRenaming(null)}
          onRenamed={(who, to, turns) => {
            setRenaming(null);
            onChange(
              withSpeakerRenamed(transcript, who, to),
              t.renameSpeakerDone(who.speaker, to, t.speakerTurns(turns)),
            );
          }}
        />
      )}
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
