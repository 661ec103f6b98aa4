import { useCallback, useEffect, useId, useState, type MouseEvent } from 'react';
import { loginUrl } from '../api/auth';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from '../ui/AuthProvider';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { navigate } from '../ui/router';
import { TopBar } from '../ui/TopBar';
import { cancelMeeting, listMyMeetings, type Upcoming } from './api';
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

/** `/meetings`: the meetings to come, each occurrence with its join link; edit and cancel. */
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

function MeetingList({ csrf }: { csrf: string }) {
  const { t, language } = useI18n();
  const [meetings, setMeetings] = useState<Upcoming[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState<Upcoming | null>(null);
  const [notice, setNotice] = useState('');
  const headingId = useId();
  const locale = language === 'fr' ? 'fr-FR' : 'en-GB';

  const reload = useCallback(async () => {
    try {
      setMeetings(await listMyMeetings());
      setError(null);
    } catch (failure) {
      setError(meetingErrorText(t, failure));
    }
  }, [t]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const cancel = async (item: Upcoming) => {
    setCancelling(null);
    try {
      await cancelMeeting(csrf, item.meeting.id);
      setNotice(t.meetingCancelledNotice(item.meeting.title));
      await reload();
    } catch (failure) {
      setError(meetingErrorText(t, failure));
    }
  };

  const day = (iso: string) =>
    new Date(iso).toLocaleDateString(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const hour = (iso: string) => new Date(iso).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });

  // Every occurrence on its own line, soonest first.
  const rows = (meetings ?? [])
    .flatMap((item) => item.occurrences.map((occurrence) => ({ item, occurrence })))
    .sort((a, b) => Date.parse(a.occurrence.start) - Date.parse(b.occurrence.start));

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
      <h2 id={headingId} className="sr-only">
        {t.myMeetings}
      </h2>
      {meetings === null ? (
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
          {rows.map(({ item, occurrence }) => {
            const meeting = item.meeting;
            const path = `/${encodeURIComponent(meeting.room.slug)}`;
            return (
              <li
                key={`${meeting.id}-${occurrence.start}`}
                className="my-rooms__room schedule__occurrence"
                data-testid="occurrence"
                data-meeting={meeting.id}
                data-start={occurrence.start}
              >
                <div className="my-rooms__room-head">
                  <div className="my-rooms__room-text">
                    <span className="schedule__when">
                      <span className="schedule__day-name">{day(occurrence.start)}</span>
                      <span>
                        {hour(occurrence.start)} – {hour(occurrence.end)}
                      </span>
                    </span>
                    <span className="my-rooms__room-name" data-testid="occurrence-title">
                      {meeting.title}
                    </span>
                    <span className="my-rooms__room-meta">
                      <span className="my-rooms__small my-rooms__muted">{t.organisedBy(meeting.organiser_name)}</span>
                      <span className="my-rooms__badge">{t.inviteesCount(meeting.attendees.length)}</span>
                      {meeting.recurrence && <span className="my-rooms__badge">{t.repeats}</span>}
                    </span>
                  </div>
                  <div className="my-rooms__room-actions">
                    {meeting.can_edit && (
                      <>
                        <a
                          className="button button--text"
                          href={`/meetings/${meeting.id}/edit`}
                          aria-label={t.editMeetingFor(meeting.title)}
                          data-testid="occurrence-edit"
                          onClick={goTo(`/meetings/${meeting.id}/edit`)}
                        >
                          {t.change}
                        </a>
                        <button
                          type="button"
                          className="button button--text my-rooms__danger"
                          aria-label={t.cancelMeetingFor(meeting.title)}
                          data-testid="occurrence-cancel"
                          onClick={() => setCancelling(item)}
                        >
                          {t.cancel}
                        </button>
                      </>
                    )}
                    <a
                      className="button button--secondary"
                      href={path}
                      data-testid="occurrence-join"
                      aria-label={t.joinScheduledMeeting(meeting.title)}
                      onClick={goTo(path)}
                    >
                      {t.join}
                    </a>
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
          text={t.cancelMeetingConfirm(cancelling.meeting.title)}
          confirmLabel={t.cancelMeeting}
          onConfirm={() => void cancel(cancelling)}
          onCancel={() => setCancelling(null)}
        />
      )}
    </>
  );
}
