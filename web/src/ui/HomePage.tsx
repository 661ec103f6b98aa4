import { useEffect, useId, useState, type FormEvent } from 'react';
import { ApiError, createRoom, normalizeMeetingCode } from '../api/rooms';
import { useI18n } from '../i18n/I18nProvider';
import { KeyboardIcon, LockIcon, VideoCallIcon } from './icons';
import { navigate } from './router';
import { TopBar } from './TopBar';

export function HomePage() {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const [creating, setCreating] = useState(false);
  /** Why "New meeting" failed: a server error code (`rate_limited`, `not_signed_in`, ...), or null. */
  const [createError, setCreateError] = useState<string | null>(null);
  const codeId = useId();
  const normalized = normalizeMeetingCode(code);
  const [notice] = useState(() => signInNotice(new URLSearchParams(window.location.search)));

  useEffect(() => {
    document.title = 'Visio';
    // The notice is read once; a reload should not show it again.
    if (notice) window.history.replaceState(null, '', '/');
  }, [notice]);

  const startMeeting = async () => {
    setCreating(true);
    setCreateError(null);
    try {
      const room = await createRoom();
      navigate(`/${encodeURIComponent(room.slug)}`);
    } catch (error) {
      console.error('visio: cannot create a room', error);
      setCreateError(error instanceof ApiError ? error.code : 'network');
      setCreating(false);
    }
  };

  const joinMeeting = (event: FormEvent) => {
    event.preventDefault();
    if (normalized) navigate(`/${encodeURIComponent(normalized)}`);
  };

  return (
    <div className="page page--light home">
      <TopBar home />
      <main className="home__main">
        <section className="home__hero">
          {notice && (
            <p
              className={notice.error ? 'form-error home__notice' : 'home__notice'}
              role={notice.error ? 'alert' : 'status'}
              data-testid="signin-notice"
            >
              {notice.kind === 'signed_out'
                ? t.signedOut
                : notice.kind === 'provider_error'
                  ? t.loginCancelled
                  : notice.kind === 'rate_limited'
                    ? t.tooManyAttempts
                    : t.loginFailed(notice.kind)}
            </p>
          )}
          <h1 className="home__title">{t.tagline}</h1>
          <p className="home__intro">{t.homeIntro}</p>
          <div className="home__actions">
            <button
              type="button"
              className="button button--primary button--large"
              data-testid="new-meeting"
              onClick={startMeeting}
              disabled={creating}
            >
              <VideoCallIcon />
              {creating ? t.creatingMeeting : t.newMeeting}
            </button>
            <form className="join-form" onSubmit={joinMeeting}>
              <label htmlFor={codeId} className="sr-only">
                {t.meetingCodeLabel}
              </label>
              <span className="join-form__field">
                <KeyboardIcon className="join-form__icon" />
                <input
                  id={codeId}
                  data-testid="meeting-code-input"
                  className="input"
                  value={code}
                  onChange={(event) => setCode(event.target.value)}
                  placeholder={t.meetingCodeLabel}
                  autoComplete="off"
                  autoCapitalize="none"
                  spellCheck={false}
                />
              </span>
              <button
                type="submit"
                className="button button--text"
                data-testid="join-code"
                disabled={!normalized}
              >
                {t.join}
              </button>
            </form>
          </div>
          {createError && (
            <p className="form-error" role="alert">
              {createError === 'rate_limited'
                ? t.tooManyAttempts
                : createError === 'not_signed_in'
                  ? t.createNeedsSignIn
                  : createError === 'forbidden'
                    ? t.createForbidden
                    : t.createFailed}
            </p>
          )}
          <hr className="home__rule" />
          <p className="home__footnote">
            <LockIcon size={18} />
            {t.homeFootnote}
          </p>
        </section>
        <section className="home__art" aria-hidden="true">
          <div className="art-grid">
            {['#2c5fd8', '#7a5af8', '#0f8a6a', '#c2410c'].map((color, index) => (
              <div key={color} className="art-tile" style={{ background: color }}>
                <span className="art-tile__head" />
                <span className="art-tile__body" />
                {index === 1 && <span className="art-tile__ring" />}
              </div>
            ))}
          </div>
        </section>
      </main>
    </div>
  );
}

/** What the server's sign-in redirects tell the home page: `?login_error=code` or `?signed_out=1`. */
function signInNotice(query: URLSearchParams): { kind: string; error: boolean } | null {
  const error = query.get('login_error');
  if (error) return { kind: error.replace(/[^a-z_]/g, '').slice(0, 40) || 'unknown', error: true };
  if (query.get('signed_out')) return { kind: 'signed_out', error: false };
  return null;
}
