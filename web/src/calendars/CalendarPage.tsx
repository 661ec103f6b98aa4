import { useCallback, useEffect, useId, useState, type FormEvent, type MouseEvent } from 'react';
import { loginUrl } from '../api/auth';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from '../ui/AuthProvider';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { navigate } from '../ui/router';
import { TopBar } from '../ui/TopBar';
import '../ui/myRooms.css';
import './calendar.css';
import { disconnectCalendar, getCalendar, saveCalendar, testCalendar, type CalendarSettings } from './api';
import { calendarFailureText, errorReason } from './text';

function goTo(path: string) {
  return (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(path);
  };
}

/** `/meetings/calendar`: the calendar the signed-in person connects (CalDAV: its address, user name and an
 * app password); the meetings read from it are listed in "My meetings" (`/meetings`). */
export function CalendarPage() {
  const { t } = useI18n();
  const { loading, me, providers } = useAuth();

  useEffect(() => {
    document.title = `${t.myCalendar} · Visio`;
  }, [t]);

  return (
    <div className="page page--light my-rooms">
      <TopBar />
      <main className="my-rooms__main" data-testid="my-meetings">
        <h1 className="my-rooms__title">{t.myCalendar}</h1>
        {loading ? (
          <p className="my-rooms__muted" role="status">
            {t.loading}
          </p>
        ) : !me ? (
          <section className="my-rooms__card">
            <h2 className="my-rooms__heading">{t.myCalendarSignIn}</h2>
            <div className="my-rooms__signin-actions">
              {providers.map((provider) => (
                <a key={provider.id} className="button button--primary" href={loginUrl(provider, '/meetings/calendar')}>
                  {t.logInWith(provider.display_name)}
                </a>
              ))}
            </div>
          </section>
        ) : (
          <SignedIn csrf={me.csrf_token} />
        )}
      </main>
    </div>
  );
}

function SignedIn({ csrf }: { csrf: string }) {
  const [settings, setSettings] = useState<CalendarSettings | null>(null);
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      setSettings(await getCalendar());
      setError(null);
    } catch (failure) {
      setError(errorReason(failure));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {calendarFailureText(t, error)}
        </p>
      )}
      <p className="my-rooms__muted my-rooms__intro" data-testid="calendar-meetings-moved">
        {t.calendarMeetingsMoved}{' '}
        <a href="/meetings" onClick={goTo('/meetings')}>
          {t.myMeetings}
        </a>
        .
      </p>
      {settings && <CalendarSettingsCard csrf={csrf} settings={settings} onChanged={reload} />}
    </>
  );
}

type Status = { ok: true; name: string | null } | { ok: false; reason: string };

function CalendarSettingsCard({
  csrf,
  settings,
  onChanged,
}: {
  csrf: string;
  settings: CalendarSettings;
  onChanged: () => Promise<void>;
}) {
  const { t } = useI18n();
  const personal = settings.personal;
  const [url, setUrl] = useState(personal?.url ?? '');
  const [username, setUsername] = useState(personal?.username ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  // What the last action found, as a reason code (or a calendar's name): translated when shown,
  // so switching the language changes it too.
  const [status, setStatus] = useState<Status | null>(
    personal?.failure ? { ok: false, reason: personal.failure } : null,
  );
  const id = useId();

  const test = async () => {
    const result = await testCalendar(csrf);
    setStatus(
      result.ok ? { ok: true, name: result.display_name ?? null } : { ok: false, reason: result.reason ?? 'unknown' },
    );
  };

  const run = (action: () => Promise<void>) => async () => {
    setBusy(true);
    setStatus(null);
    try {
      await action();
    } catch (failure) {
      setStatus({ ok: false, reason: errorReason(failure) });
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await saveCalendar(csrf, { url, username, password });
      setPassword('');
      await test();
      await onChanged();
    })();
  };

  return (
    <section className="my-rooms__card" aria-labelledby={`${id}-title`} data-testid="calendar-settings">
      <h2 className="my-rooms__heading" id={`${id}-title`}>
        {t.yourCalendar}
      </h2>
      <p className="my-rooms__muted calendar__source">
        {settings.source === 'personal'
          ? t.calendarSourcePersonal
          : settings.source === 'deployment'
            ? t.calendarSourceDeployment
            : t.calendarSourceNone}
      </p>
      {settings.personal_allowed ? (
        <form className="my-rooms__form calendar__form" onSubmit={submit}>
          <div className="my-rooms__field">
            <label className="field-label" htmlFor={`${id}-url`}>
              {t.calendarUrlLabel}
            </label>
            <input
              id={`${id}-url`}
              className="input input--boxed"
              type="url"
              inputMode="url"
              required
              maxLength={2000}
              autoComplete="url"
              spellCheck={false}
              placeholder="https://calendrier.example.gouv.fr/dav/calendars/moi/visio/"
              aria-describedby={`${id}-url-help`}
              data-testid="calendar-url"
              value={url}
              onChange={(event) => setUrl(event.target.value)}
            />
            <p className="my-rooms__small my-rooms__muted" id={`${id}-url-help`}>
              {t.calendarUrlHelp}
            </p>
          </div>
          <div className="my-rooms__field">
            <label className="field-label" htmlFor={`${id}-user`}>
              {t.calendarUsernameLabel}
            </label>
            <input
              id={`${id}-user`}
              className="input input--boxed"
              required
              maxLength={320}
              autoComplete="username"
              spellCheck={false}
              data-testid="calendar-username"
              value={username}
              onChange={(event) => setUsername(event.target.value)}
            />
          </div>
          <div className="my-rooms__field">
            <label className="field-label" htmlFor={`${id}-password`}>
              {t.calendarPasswordLabel}
            </label>
            <input
              id={`${id}-password`}
              className="input input--boxed"
              type="password"
              required={!personal}
              maxLength={1000}
              autoComplete="new-password"
              aria-describedby={`${id}-password-help`}
              data-testid="calendar-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
            <p className="my-rooms__small my-rooms__muted" id={`${id}-password-help`}>
              {personal ? t.calendarPasswordKept : t.calendarPasswordHelp}
            </p>
          </div>
          <div className="calendar__actions">
            <button type="submit" className="button button--primary" disabled={busy} data-testid="calendar-save">
              {busy ? t.saving : t.calendarSaveAndTest}
            </button>
            {settings.source && (
              <button
                type="button"
                className="button button--secondary"
                disabled={busy}
                data-testid="calendar-test"
                onClick={run(test)}
              >
                {t.calendarTest}
              </button>
            )}
            {personal && (
              <button
                type="button"
                className="button button--danger"
                disabled={busy}
                data-testid="calendar-disconnect"
                onClick={() => setConfirming(true)}
              >
                {t.calendarDisconnect}
              </button>
            )}
          </div>
        </form>
      ) : (
        <p className="my-rooms__muted">{t.calendarPersonalDisabled}</p>
      )}
      <p
        className={status?.ok ? 'my-rooms__ok' : 'form-error'}
        role="status"
        aria-live="polite"
        data-testid="calendar-status"
      >
        {status &&
          (status.ok
            ? status.name
              ? t.calendarWorksNamed(status.name)
              : t.calendarWorks
            : calendarFailureText(t, status.reason))}
      </p>
      {confirming && (
        <ConfirmDialog
          title={t.calendarDisconnectTitle}
          text={t.calendarDisconnectText}
          confirmLabel={t.calendarDisconnect}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void run(async () => {
              await disconnectCalendar(csrf);
              setUrl('');
              setUsername('');
              await onChanged();
            })();
          }}
        />
      )}
    </section>
  );
}
