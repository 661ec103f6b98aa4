import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/rooms';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from '../ui/AuthProvider';
import { navigate } from '../ui/router';
import { TopBar } from '../ui/TopBar';
import { searchTranscripts, type SearchHit } from './api';
import { formatDateTime } from './format';
import './transcripts.css';

function queryFromUrl(): string {
  return new URLSearchParams(window.location.search).get('q') ?? '';
}

function hitPath(hit: SearchHit): string {
  return `/rooms/${encodeURIComponent(hit.room_slug)}/records?transcript=${hit.transcript_id}&turn=${hit.turn_id}`;
}

/** `/transcripts`: search the words of every transcript the person may read. */
export function SearchPage() {
  const { t, language } = useI18n();
  const { me, loading } = useAuth();
  const [query, setQuery] = useState(queryFromUrl);
  const [results, setResults] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = `${t.searchTranscripts} · Visio`;
  }, [t]);

  const run = async (words: string) => {
    if (!words.trim()) return;
    setBusy(true);
    setError(null);
    try {
      setResults(await searchTranscripts(words.trim()));
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.code : 'network');
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (me && query.trim()) void run(query);
    // Only the query the page was opened with; later ones are submitted.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [me]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    window.history.replaceState(null, '', `/transcripts?q=${encodeURIComponent(query.trim())}`);
    void run(query);
  };

  return (
    <div className="page page--light">
      <TopBar />
      <main className="records" data-testid="transcript-search-page">
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
        </p>
        <h1 ref={heading}>{t.searchTranscripts}</h1>
        {!loading && !me && <p role="alert">{t.recordsSignIn}</p>}
        <form className="records__search" role="search" onSubmit={submit}>
          <label htmlFor={inputId}>{t.searchWords}</label>
          <input
            id={inputId}
            type="search"
            value={query}
            maxLength={200}
            required
            onChange={(event) => setQuery(event.target.value)}
            data-testid="search-query"
          />
          <button type="submit" className="button button--primary" disabled={busy || !me} data-testid="search-submit">
            {t.search}
          </button>
        </form>
        <p role="status" className="records__muted" data-testid="search-status">
          {busy ? t.loading : results ? t.searchResultCount(results.length) : ''}
        </p>
        {error && <p role="alert">{t.recordsFailed(error)}</p>}
        {results && results.length > 0 && (
          <ol className="records__list" data-testid="search-results">
            {results.map((hit) => (
              <li key={hit.turn_id}>
                <a
                  className="search-hit"
                  href={hitPath(hit)}
                  data-testid="search-hit"
                  onClick={(event) => {
                    event.preventDefault();
                    navigate(hitPath(hit));
                  }}
                >
                  <strong>{hit.room_name ?? hit.room_slug}</strong>{' '}
                  <span className="records__muted">
                    {formatDateTime(hit.started_at, language)} · {hit.speaker}
                  </span>
                  <span className="turn__text" lang={undefined}>
                    {hit.snippet.map((piece, index) =>
                      piece.match ? <mark key={index}>{piece.text}</mark> : <span key={index}>{piece.text}</span>,
                    )}
                  </span>
                </a>
              </li>
            ))}
          </ol>
        )}
      </main>
    </div>
  );
}
