import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/rooms';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from '../ui/AuthProvider';
import { navigate } from '../ui/router';
import { TopBar } from '../ui/TopBar';
import {
  deleteTranscript,
  getTranscript,
  listRecordings,
  listTranscripts,
  recordingDownloadUrl,
  type Recording,
  type TranscriptDetail,
  type TranscriptSummary,
} from './api';
import { TranscriptView } from './TranscriptView';
import { formatDateTime, formatDuration } from './format';
import './transcripts.css';

type Load<T> = { state: 'loading' } | { state: 'failed'; code: string } | { state: 'ready'; value: T };

function failure(error: unknown): { state: 'failed'; code: string } {
  return { state: 'failed', code: error instanceof ApiError ? error.code : 'network' };
}

const RECORDINGS_POLL_MS = 10_000;

/** The transcript and turn named in the page's address (`?transcript=12&turn=345`). */
function selectionFromUrl(): { transcript: number | null; turn: number | null } {
  const params = new URLSearchParams(window.location.search);
  const number = (name: string) => {
    const value = Number(params.get(name));
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  };
  return { transcript: number('transcript'), turn: number('turn') };
}

/**
 * `/rooms/<code>/records`: a room's transcripts and recordings, for its owners and
 * administrators; one transcript open at a time, with its recording when there is one.
 */
export function RecordsPage({ slug }: { slug: string }) {
  const { t, language } = useI18n();
  const { me } = useAuth();
  const [transcripts, setTranscripts] = useState<Load<TranscriptSummary[]>>({ state: 'loading' });
  const [recordings, setRecordings] = useState<Recording[]>([]);
  const [selection, setSelection] = useState(selectionFromUrl);
  const [open, setOpen] = useState<Load<TranscriptDetail> | null>(null);
  const [status, setStatus] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = `${t.recordsTitle} · Visio`;
  }, [t]);

  useEffect(() => {
    let live = true;
    listTranscripts(slug).then(
      (value) => live && setTranscripts({ state: 'ready', value }),
      (error: unknown) => live && setTranscripts(failure(error)),
    );
    // Recordings are optional: a server without them shows the transcripts alone.
    listRecordings(slug).then(
      (value) => live && setRecordings(value),
      () => live && setRecordings([]),
    );
    return () => {
      live = false;
    };
  }, [slug]);

  // While a recording is made or prepared, look again now and then: it becomes playable by itself.
  const unfinished = recordings.some((r) => r.status === 'recording' || r.status === 'processing');
  useEffect(() => {
    if (!unfinished) return;
    let live = true;
    const timer = window.setTimeout(() => {
      listRecordings(slug).then(
        (value) => live && setRecordings(value),
        () => undefined,
      );
    }, RECORDINGS_POLL_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [slug, recordings, unfinished]);

  useEffect(() => {
    if (selection.transcript === null) {
      setOpen(null);
      return;
    }
    let live = true;
    setOpen({ state: 'loading' });
    getTranscript(selection.transcript).then(
      (value) => live && setOpen({ state: 'ready', value }),
      (error: unknown) => live && setOpen(failure(error)),
    );
    return () => {
      live = false;
    };
  }, [selection.transcript]);

  const select = (transcript: number | null) => {
    const path = `/rooms/${encodeURIComponent(slug)}/records${transcript ? `?transcript=${transcript}` : ''}`;
    window.history.pushState(null, '', path);
    setSelection({ transcript, turn: null });
  };

  useEffect(() => {
    const back = () => setSelection(selectionFromUrl());
    window.addEventListener('popstate', back);
    return () => window.removeEventListener('popstate', back);
  }, []);

  const remove = async (transcript: TranscriptSummary) => {
    if (!me || !window.confirm(t.transcriptDeleteConfirm)) return;
    try {
      await deleteTranscript(transcript.id, me.csrf_token);
      setTranscripts((current) =>
        current.state === 'ready'
          ? { state: 'ready', value: current.value.filter((x) => x.id !== transcript.id) }
          : current,
      );
      if (selection.transcript === transcript.id) select(null);
      setStatus(t.transcriptDeleted);
      heading.current?.focus();
    } catch (error) {
      setStatus(t.recordsFailed(error instanceof ApiError ? error.code : 'network'));
    }
  };

  const roomTitle =
    transcripts.state === 'ready' && transcripts.value[0]?.room_name ? transcripts.value[0].room_name : slug;

  return (
    <div className="page page--light">
      <TopBar />
      <main className="records" data-testid="records-page">
        <p>
          <a
            href="/rooms"
            onClick={(event) => {
              event.preventDefault();
              navigate('/rooms');
            }}
          >
            {t.backToMyRooms}
          </a>
          {' · '}
          <a
            href="/transcripts"
            onClick={(event) => {
              event.preventDefault();
              navigate('/transcripts');
            }}
          >
            {t.searchTranscripts}
          </a>
        </p>
        <h1 ref={heading} tabIndex={-1}>
          {t.recordsOf(roomTitle)}
        </h1>
        <p role="status" className="records__muted" data-testid="records-status">
          {status}
        </p>
        {open?.state === 'ready' && (
          <TranscriptView
            transcript={open.value}
            recordings={recordings}
            initialTurn={selection.turn}
            onClose={() => select(null)}
            csrfToken={me?.csrf_token ?? null}
            onChange={(value, announcement) => {
              setOpen({ state: 'ready', value });
              setStatus(announcement);
            }}
          />
        )}
        {open?.state === 'loading' && <p role="status">{t.loading}</p>}
        {open?.state === 'failed' && <p role="alert">{t.recordsFailed(open.code)}</p>}
        <h2>{t.transcriptsHeading}</h2>
        {transcripts.state === 'loading' && <p role="status">{t.loading}</p>}
        {transcripts.state === 'failed' && (
          <p role="alert" data-testid="records-error">
            {transcripts.code === 'forbidden' ? t.recordsForbidden : t.recordsFailed(transcripts.code)}
          </p>
        )}
        {transcripts.state === 'ready' && transcripts.value.length === 0 && (
          <p className="records__muted">{t.noTranscripts}</p>
        )}
        {transcripts.state === 'ready' && transcripts.value.length > 0 && (
          <ul className="records__list" data-testid="transcript-list">
            {transcripts.value.map((transcript) => (
              <li key={transcript.id} className="records__item" data-testid="transcript-row">
                <span>
                  <strong>{formatDateTime(transcript.started_at, language)}</strong>{' '}
                  <span className="records__muted">
                    {t.turnCount(transcript.turn_count)}
                    {transcript.status === 'active' ? ` · ${t.transcriptOn}` : ''}
                  </span>
                </span>
                <span className="records__downloads">
                  <button
                    type="button"
                    className="button button--secondary"
                    data-testid="open-transcript"
                    aria-label={t.openTranscriptOf(formatDateTime(transcript.started_at, language))}
                    onClick={() => select(transcript.id)}
                  >
                    {t.openTranscript}
                  </button>
                  {transcript.status !== 'active' && (
                    <button
                      type="button"
                      className="button button--text"
                      aria-label={t.deleteTranscriptOf(formatDateTime(transcript.started_at, language))}
                      onClick={() => void remove(transcript)}
                    >
                      {t.deleteTranscript}
                    </button>
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
        {recordings.length > 0 && (
          <>
            <h2>{t.recordingsHeading}</h2>
            <ul className="records__list" data-testid="recording-list" aria-live="polite">
              {recordings.map((recording) => (
                <li key={recording.id} className="records__item" data-testid="recording-row" data-status={recording.status}>
                  <span>
                    <strong>{formatDateTime(recording.started_at, language)}</strong>{' '}
                    <span className="records__muted">
                      {recording.kind === 'video' ? t.recordingVideo : t.recordingAudio}
                      {recording.duration_s ? ` · ${formatDuration(recording.duration_s)}` : ''}
                      {recording.status === 'recording' && ` · ${t.recordingStatusRecording}`}
                      {recording.status === 'processing' && ` · ${t.recordingStatusProcessing}`}
                      {recording.status === 'failed' && ` · ${t.recordingStatusFailed}`}
                    </span>
                  </span>
                  {recording.status === 'ready' && (
                    <a
                      className="button button--secondary"
                      href={recordingDownloadUrl(recording)}
                      download
                      data-testid="recording-download"
                      aria-label={t.downloadRecordingOf(formatDateTime(recording.started_at, language))}
                    >
                      {t.downloadRecording}
                    </a>
                  )}
                </li>
              ))}
            </ul>
          </>
        )}
      </main>
    </div>
  );
}
