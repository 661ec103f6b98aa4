import { useCallback, useEffect, useId, useState, type MouseEvent } from 'react';
import { loginUrl } from '../api/auth';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from '../ui/AuthProvider';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { navigate } from '../ui/router';
import { TopBar } from '../ui/TopBar';
import { calendarFailureText } from '../calendars/text';
import { cancelMeeting, listAgenda, type Agenda, type AgendaMeeting } from './api';
import { meetingErrorText } from './errors';
import '../ui/myRooms.css';
import './scheduling.css';

function goTo(path: string) {
  return (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(path);
  };
}

export function SignInCard({ returnTo }: { returnTo: string }) {
  const { t } = useI18n();
  const { providers } = useAuth();
  return (
    <section className="my-rooms__card my-rooms__signin">
      <h2 className="my-rooms__heading">{t.myMeetingsSignIn}</h2>
      <div className="my-rooms__signin-actions">
        {providers.map((provider) => (
          <a key={provider.id} className="button button--primary" href={loginUrl(provider, returnTo)}>
            {t.logInWith(provider.display_name)}
          </a>
        ))}
      </div>
    </section>
  );
}

/** `/meetings`: the meetings to come, Visio's and those of the person's calendar in one list, each
 * occurrence with its join link; Visio's can be changed and cancelled. */
export function MyMeetingsPage() {
  const { t } = useI18n();
  const { loading, me } = useAuth();

  useEffect(() => {
    document.title = `${t.myMeetings} · Visio`;
  }, [t]);

  return (
    <div className="page page--light my-rooms">
      <TopBar />
      <main className="my-rooms__main" data-testid="my-meetings">
        <div className="schedule__head">
          <h1 className="my-rooms__title">{t.myMeetings}</h1>
          {me && (
            <a className="button button--primary" href="/meetings/new" data-testid="schedule-link" onClick={goTo('/meetings/new')}>
              {t.scheduleMeeting}
            </a>
          )}
        </div>
        {loading ? (
          <p className="my-rooms__muted" role="status">
            {t.loading}
          </p>
        ) : !me ? (
          <SignInCard returnTo="/meetings" />
        ) : (
          <MeetingList csrf={me.csrf_token} />
        )}
      </main>
    </div>
  );
}

/** The reader's own IANA zone (the server puts every time in it). */
function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function MeetingList({ csrf }: { csrf: string }) {
  const { t, language } = useI18n();
  const [agenda, setAgenda] = useState<Agenda | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState<AgendaMeeting | null>(null);
  const [notice, setNotice] = useState('');
  const headingId = useId();
  const locale = language === 'fr' ? 'fr-FR' : 'en-GB';

  const reload = useCallback(async () => {
    try {
      setAgenda(await listAgenda(browserTimeZone()));
      setError(null);
    } catch (failure) {
      setError(meetingErrorText(t, failure));
    }
  }, [t]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const cancel = async (item: AgendaMeeting) => {
    setCancelling(null);
    if (!item.meeting_id) return;
    try {
      await cancelMeeting(csrf, item.meeting_id);
      setNotice(t.meetingCancelledNotice(item.title));
      await reload();
    } catch (failure) {
      setError(meetingErrorText(t, failure));
    }
  };

  const timeZone = agenda?.time_zone;
  const day = (iso: string) =>
    new Date(iso).toLocaleDateString(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone });
  const hour = (iso: string) => new Date(iso).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', timeZone });
  // The server sends every occurrence once, soonest first.
  const rows = agenda?.meetings ?? [];
  const calendar = agenda?.calendar;

  return (
    <>
      <p className="my-rooms__muted my-rooms__intro">{t.myMeetingsIntro}</p>
      <p className="sr-only" aria-live="polite">
        {notice}
      </p>
      {notice && (
        <p className="my-rooms__ok" data-testid="meeting-notice">
          {notice}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {calendar?.status === 'failed' && (
        <p className="schedule__calendar-notice" role="status" data-testid="calendar-notice">
          {t.calendarNotRead(calendarFailureText(t, calendar.reason ?? 'unknown'))}{' '}
          <a href="/meetings/calendar" onClick={goTo('/meetings/calendar')}>
            {t.calendarSettingsLink}
          </a>
        </p>
      )}
      {calendar?.status === 'none' && (
        <p className="my-rooms__small my-rooms__muted" data-testid="calendar-hint">
          {t.calendarConnectHint}{' '}
          <a href="/meetings/calendar" onClick={goTo('/meetings/calendar')}>
            {t.calendarSettingsLink}
          </a>
        </p>
      )}
      <h2 id={headingId} className="sr-only">
        {t.myMeetings}
      </h2>
      {agenda === null ? (
        !error && (
          <p className="my-rooms__muted" role="status">
            {t.loading}
          </p>
        )
      ) : rows.length === 0 ? (
        <p className="my-rooms__muted" data-testid="no-meetings">
          {t.noMeetingsYet}
        </p>
      ) : (
        <ul className="my-rooms__list" aria-labelledby={headingId}>
          {rows.map((item) => {
            const title = item.title || t.untitledMeeting;
            const path = item.room ? `/${encodeURIComponent(item.room)}` : null;
            const editPath = item.meeting_id ? `/meetings/${item.meeting_id}/edit` : null;
            return (
              <li
                key={`${item.uid} ${item.start}`}
                className={`my-rooms__room schedule__occurrence${item.cancelled ? ' schedule__occurrence--cancelled' : ''}`}
                data-testid="occurrence"
                data-meeting={item.meeting_id ?? undefined}
                data-uid={item.uid}
                data-source={item.source}
                data-cancelled={item.cancelled ? 'true' : 'false'}
                data-start={item.start}
              >
                <div className="my-rooms__room-head">
                  <div className="my-rooms__room-text">
                    <span className="schedule__when">
                      <span className="schedule__day-name">{day(item.start)}</span>
                      <span>{item.all_day ? t.allDay : `${hour(item.start)} – ${hour(item.end)}`}</span>
                    </span>
                    <span className="my-rooms__room-name" data-testid="occurrence-title">
                      {title}
                    </span>
                    <span className="my-rooms__room-meta">
                      {item.cancelled && (
                        <span className="my-rooms__badge schedule__badge--cancelled" data-testid="occurrence-cancelled">
                          {t.meetingCancelledBadge}
                        </span>
                      )}
                      <span className="my-rooms__badge" data-testid="occurrence-source">
                        {item.source === 'visio' ? t.sourceVisio : t.sourceCalendar}
                      </span>
                      {item.source === 'visio' && item.in_calendar && (
                        <span className="my-rooms__badge">{t.alsoInCalendar}</span>
                      )}
                      {item.organiser && <span className="my-rooms__small my-rooms__muted">{t.organisedBy(item.organiser)}</span>}
                      {item.invitees !== null && <span className="my-rooms__badge">{t.inviteesCount(item.invitees)}</span>}
                      {item.recurring && <span className="my-rooms__badge">{t.repeats}</span>}
                    </span>
                  </div>
                  <div className="my-rooms__room-actions">
                    {item.can_edit && editPath && (
                      <>
                        <a
                          className="button button--text"
                          href={editPath}
                          aria-label={t.editMeetingFor(title)}
                          data-testid="occurrence-edit"
                          onClick={goTo(editPath)}
                        >
                          {t.change}
                        </a>
                        <button
                          type="button"
                          className="button button--text my-rooms__danger"
                          aria-label={t.cancelMeetingFor(title)}
                          data-testid="occurrence-cancel"
                          onClick={() => setCancelling(item)}
                        >
                          {t.cancel}
                        </button>
                      </>
                    )}
                    {path && !item.cancelled && (
                      <a
                        className="button button--secondary"
                        href={path}
                        data-testid="occurrence-join"
                        aria-label={t.joinScheduledMeeting(title)}
                        onClick={goTo(path)}
                      >
                        {t.join}
                      </a>
                    )}
                  </div>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {cancelling && (
        <ConfirmDialog
          title={t.cancelMeeting}
          text={t.cancelMeetingConfirm(cancelling.title)}
          confirmLabel={t.cancelMeeting}
          onConfirm={() => void cancel(cancelling)}
          onCancel={() => setCancelling(null)}
        />
      )}
    </>
  );
}
