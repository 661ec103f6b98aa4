import { useEffect, useId, useMemo, useState, type FormEvent, type MouseEvent } from 'react';
import { listMyRooms, canManage, type MyRoom } from '../api/myRooms';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from '../ui/AuthProvider';
import { navigate } from '../ui/router';
import { TopBar } from '../ui/TopBar';
import { changeMeeting, getMeeting, scheduleMeeting, WEEKDAYS, type Weekday } from './api';
import { meetingErrorText } from './errors';
import { bodyOf, emptyForm, formOf, timeZones, weekdayOf, type MeetingForm, type Repeat } from './form';
import { InviteesField } from './InviteesField';
import { SignInCard } from './MyMeetingsPage';
import '../ui/myRooms.css';
import './scheduling.css';

const DURATIONS = [15, 30, 45, 60, 90, 120, 180, 240];

/**
 * A weekly meeting takes place on its first day: a new date moves the one day chosen so far
 * (the form's default), or joins the days chosen by hand.
 */
function daysFor(form: MeetingForm, date: string): Weekday[] {
  const day = weekdayOf(date);
  if (form.days.length <= 1) return [day];
  return form.days.includes(day) ? form.days : [...form.days, day];
}

function goTo(path: string) {
  return (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(path);
  };
}

/** `/meetings/new` and `/meetings/<id>/edit`: the scheduling form. */
export function ScheduleMeetingPage({ meetingId }: { meetingId?: string | undefined }) {
  const { t } = useI18n();
  const { loading, me } = useAuth();
  const title = meetingId ? t.editMeeting : t.scheduleMeeting;

  useEffect(() => {
    document.title = `${title} · Visio`;
  }, [title]);

  return (
    <div className="page page--light my-rooms">
      <TopBar />
      <main className="my-rooms__main" data-testid="schedule-page">
        <p>
          <a className="button button--text" href="/meetings" onClick={goTo('/meetings')}>
            ← {t.backToMyMeetings}
          </a>
        </p>
        <h1 className="my-rooms__title">{title}</h1>
        {loading ? (
          <p className="my-rooms__muted" role="status">
            {t.loading}
          </p>
        ) : !me ? (
          <SignInCard returnTo={meetingId ? `/meetings/${meetingId}/edit` : '/meetings/new'} />
        ) : (
          <ScheduleForm csrf={me.csrf_token} meetingId={meetingId} />
        )}
      </main>
    </div>
  );
}

function ScheduleForm({ csrf, meetingId }: { csrf: string; meetingId?: string | undefined }) {
  const { t, language } = useI18n();
  const [form, setForm] = useState<MeetingForm | null>(meetingId ? null : emptyForm());
  const [rooms, setRooms] = useState<MyRoom[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const ids = {
    title: useId(),
    date: useId(),
    time: useId(),
    duration: useId(),
    zone: useId(),
    repeat: useId(),
    count: useId(),
    until: useId(),
    room: useId(),
  };

  useEffect(() => {
    listMyRooms()
      .then((mine) => setRooms(mine.filter((room) => canManage(room.my_role))))
      .catch(() => setRooms([]));
    if (meetingId)
      getMeeting(meetingId)
        .then((meeting) => setForm(formOf(meeting)))
        .catch((failure) => setError(meetingErrorText(t, failure)));
  }, [meetingId, t]);

  const zones = useMemo(() => timeZones(form?.timeZone ?? 'UTC'), [form?.timeZone]);
  if (!form) return error ? <p className="form-error" role="alert">{error}</p> : <p role="status">{t.loading}</p>;

  const update = (change: Partial<MeetingForm>) => {
    setForm({ ...form, ...change });
    setDone(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const body = bodyOf(form, language);
      const saved = meetingId ? await changeMeeting(csrf, meetingId, body) : await scheduleMeeting(csrf, body);
      setDone(meetingId ? t.meetingSaved(saved.title) : t.meetingScheduled(saved.title));
      if (!meetingId) setForm({ ...emptyForm(), timeZone: form.timeZone });
    } catch (failure) {
      setError(meetingErrorText(t, failure));
    } finally {
      setBusy(false);
    }
  };

  const toggleDay = (day: Weekday) =>
    update({ days: form.days.includes(day) ? form.days.filter((d) => d !== day) : [...form.days, day] });

  return (
    <form className="my-rooms__card schedule__form" onSubmit={submit} data-testid="schedule-form">
      <div className="my-rooms__field schedule__wide">
        <label className="field-label" htmlFor={ids.title}>
          {t.meetingTitleLabel}
        </label>
        <input
          id={ids.title}
          className="input input--boxed"
          data-testid="meeting-title"
          required
          maxLength={200}
          value={form.title}
          onChange={(event) => update({ title: event.target.value })}
        />
      </div>
      <div className="schedule__row">
        <div className="my-rooms__field">
          <label className="field-label" htmlFor={ids.date}>
            {t.meetingDateLabel}
          </label>
          <input
            id={ids.date}
            type="date"
            className="input input--boxed"
            data-testid="meeting-date"
            required
            value={form.date}
            onChange={(event) => {
              const date = event.target.value;
              update({ date, days: date ? daysFor(form, date) : form.days });
            }}
          />
        </div>
        <div className="my-rooms__field">
          <label className="field-label" htmlFor={ids.time}>
            {t.meetingTimeLabel}
          </label>
          <input
            id={ids.time}
            type="time"
            className="input input--boxed"
            data-testid="meeting-time"
            required
            value={form.time}
            onChange={(event) => update({ time: event.target.value })}
          />
        </div>
        <div className="my-rooms__field">
          <label className="field-label" htmlFor={ids.duration}>
            {t.meetingDurationLabel}
          </label>
          <select
            id={ids.duration}
            className="select my-rooms__select"
            data-testid="meeting-duration"
            value={form.durationMinutes}
            onChange={(event) => update({ durationMinutes: Number(event.target.value) })}
          >
            {(DURATIONS.includes(form.durationMinutes) ? DURATIONS : [...DURATIONS, form.durationMinutes].sort((a, b) => a - b)).map(
              (minutes) => (
                <option key={minutes} value={minutes}>
                  {t.durationOption(minutes)}
                </option>
              ),
            )}
          </select>
        </div>
      </div>
      <div className="my-rooms__field schedule__wide">
        <label className="field-label" htmlFor={ids.zone}>
          {t.meetingTimeZoneLabel}
        </label>
        <select
          id={ids.zone}
          className="select my-rooms__select"
          data-testid="meeting-zone"
          value={form.timeZone}
          onChange={(event) => update({ timeZone: event.target.value })}
        >
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zone.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
      </div>
      <div className="my-rooms__field schedule__wide">
        <label className="field-label" htmlFor={ids.repeat}>
          {t.repeatLabel}
        </label>
        <select
          id={ids.repeat}
          className="select my-rooms__select"
          data-testid="meeting-repeat"
          value={form.repeat}
          onChange={(event) => update({ repeat: event.target.value as Repeat })}
        >
          <option value="none">{t.repeatNone}</option>
          <option value="daily">{t.repeatDaily}</option>
          <option value="weekly">{t.repeatWeekly}</option>
          <option value="monthly">{t.repeatMonthly}</option>
        </select>
      </div>
      {form.repeat === 'weekly' && (
        <fieldset className="schedule__fieldset schedule__wide">
          <legend className="field-label">{t.repeatDaysLegend}</legend>
          <div className="schedule__days">
            {WEEKDAYS.map((day) => (
              <label key={day} className="schedule__day">
                <input
                  type="checkbox"
                  data-testid={`meeting-day-${day}`}
                  checked={form.days.includes(day)}
                  onChange={() => toggleDay(day)}
                />
                {t.weekdayName(day)}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {form.repeat !== 'none' && (
        <fieldset className="schedule__fieldset schedule__wide">
          <legend className="field-label">{t.endsLegend}</legend>
          <div className="schedule__row">
            <label className="schedule__choice">
              <input
                type="radio"
                name="ending"
                checked={form.ending === 'count'}
                onChange={() => update({ ending: 'count' })}
              />
              {t.endsAfterCount}
            </label>
            <label className="schedule__choice">
              <input
                type="radio"
                name="ending"
                data-testid="meeting-ends-on-date"
                checked={form.ending === 'until'}
                onChange={() => update({ ending: 'until' })}
              />
              {t.endsOnDate}
            </label>
          </div>
          {form.ending === 'count' ? (
            <div className="my-rooms__field">
              <label className="field-label" htmlFor={ids.count}>
                {t.endsCountLabel}
              </label>
              <input
                id={ids.count}
                type="number"
                min={1}
                max={200}
                className="input input--boxed schedule__number"
                data-testid="meeting-count"
                value={form.count}
                onChange={(event) => update({ count: Number(event.target.value) })}
              />
            </div>
          ) : (
            <div className="my-rooms__field">
              <label className="field-label" htmlFor={ids.until}>
                {t.endsDateLabel}
              </label>
              <input
                id={ids.until}
                type="date"
                className="input input--boxed"
                data-testid="meeting-until"
                required
                min={form.date}
                value={form.until}
                onChange={(event) => update({ until: event.target.value })}
              />
            </div>
          )}
        </fieldset>
      )}
      <div className="schedule__wide">
        <InviteesField invitees={form.invitees} onChange={(invitees) => update({ invitees })} />
      </div>
      {!meetingId && (
        <fieldset className="schedule__fieldset schedule__wide">
          <legend className="field-label">{t.roomLegend}</legend>
          <div className="schedule__row">
            <label className="schedule__choice">
              <input
                type="radio"
                name="room"
                data-testid="meeting-room-new"
                checked={form.roomChoice === 'new'}
                onChange={() => update({ roomChoice: 'new' })}
              />
              {t.roomNew}
            </label>
            <label className="schedule__choice">
              <input
                type="radio"
                name="room"
                data-testid="meeting-room-existing"
                disabled={rooms.length === 0}
                checked={form.roomChoice === 'existing'}
                onChange={() => update({ roomChoice: 'existing', room: form.room || rooms[0]?.slug || '' })}
              />
              {t.roomExisting}
            </label>
          </div>
          {form.roomChoice === 'existing' && (
            <div className="my-rooms__field">
              <label className="field-label" htmlFor={ids.room}>
                {t.roomChooseLabel}
              </label>
              <select
                id={ids.room}
                className="select my-rooms__select"
                data-testid="meeting-room"
                value={form.room}
                onChange={(event) => update({ room: event.target.value })}
              >
                {rooms.map((room) => (
                  <option key={room.slug} value={room.slug}>
                    {room.name ? `${room.name} (${room.slug})` : room.slug}
                  </option>
                ))}
              </select>
            </div>
          )}
        </fieldset>
      )}
      <div className="schedule__wide">
        <button type="submit" className="button button--primary" data-testid="meeting-submit" disabled={busy}>
          {busy ? t.sendingInvitations : meetingId ? t.saveMeetingSubmit : t.scheduleSubmit}
        </button>
      </div>
      <div className="schedule__wide" aria-live="polite">
        {done && (
          <p className="my-rooms__ok" data-testid="meeting-done">
            {done}
          </p>
        )}
      </div>
      {error && (
        <p className="form-error schedule__wide" role="alert" data-testid="meeting-error">
          {error}
        </p>
      )}
    </form>
  );
}
