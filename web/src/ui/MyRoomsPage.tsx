import { useCallback, useEffect, useId, useState, type FormEvent, type MouseEvent } from 'react';
import { loginUrl } from '../api/auth';
import {
  ACCESS_LEVELS,
  canManage,
  createInvitation,
  createNamedRoom,
  grantRole,
  listInvitations,
  listRemovals,
  listMyRooms,
  listRoles,
  revokeInvitation,
  undoRemoval,
  revokeRole,
  ROLES,
  updateRoom,
  type Access,
  type GroupRole,
  type InvitationCreated,
  type InvitationInfo,
  type RemovalInfo,
  type MyRoom,
  type Role,
  type RoomRole,
} from '../api/myRooms';
import { ApiError } from '../api/rooms';
import type { Messages } from '../i18n/messages';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from './AuthProvider';
import { copyText } from './CopyLinkButton';
import { CheckIcon, CopyIcon } from './icons';
import { KeepChatField } from './KeepChatField';
import { navigate } from './router';
import './myRooms.css';
import { TopBar } from './TopBar';
import { WebhooksSection } from '../webhooks/WebhooksSection';

/** A sentence for a failed call: the server's error codes that people can act on, else the code. */
export function roomsErrorText(t: Messages, error: unknown): string {
  const code = error instanceof ApiError ? error.code : 'network';
  switch (code) {
    case 'user_not_found':
      return t.roomsErrorUserNotFound;
    case 'last_owner':
      return t.roomsErrorLastOwner;
    case 'forbidden':
    case 'insufficient_scope':
      return t.roomsErrorForbidden;
    case 'not_signed_in':
      return t.roomsErrorNotSignedIn;
    case 'room_not_found':
    case 'invalid_room_link':
      return t.roomsErrorRoomNotFound;
    case 'invalid_request':
      return t.roomsErrorInvalid;
    case 'csrf_failed':
      return t.roomsErrorCsrf;
    case 'rate_limited':
      return t.tooManyAttempts;
    case 'network':
      return t.roomsErrorNetwork;
    default:
      return t.roomsErrorGeneric(code);
  }
}

export function accessName(t: Messages, access: Access): string {
  return { public: t.accessShortPublic, trusted: t.accessShortTrusted, restricted: t.accessShortRestricted }[access];
}

function accessDescription(t: Messages, access: Access): string {
  return { public: t.accessPublic, trusted: t.accessTrusted, restricted: t.accessRestricted }[access];
}

export function roleName(t: Messages, role: Role): string {
  return { owner: t.roleOwner, administrator: t.roleAdministrator, member: t.roleMember }[role];
}

function goTo(path: string) {
  return (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(path);
  };
}

function ErrorLine({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}

/** `/rooms`: the signed-in person's rooms, a form to create one, and each room's settings. */
export function MyRoomsPage() {
  const { t } = useI18n();
  const { loading, me, providers } = useAuth();

  useEffect(() => {
    document.title = `${t.myRooms} · Visio`;
  }, [t]);

  return (
    <div className="page page--light my-rooms">
      <TopBar />
      <main className="my-rooms__main" data-testid="my-rooms">
        <h1 className="my-rooms__title">{t.myRooms}</h1>
        {loading ? (
          <p className="my-rooms__muted" role="status">
            {t.loading}
          </p>
        ) : !me ? (
          <section className="my-rooms__card my-rooms__signin" data-testid="my-rooms-signin">
            <h2 className="my-rooms__heading">{t.myRoomsSignIn}</h2>
            <p className="my-rooms__muted">{t.myRoomsSignInText}</p>
            <div className="my-rooms__signin-actions">
              {providers.map((provider) => (
                <a key={provider.id} className="button button--primary" href={loginUrl(provider, '/rooms')}>
                  {t.logInWith(provider.display_name)}
                </a>
              ))}
              <a className="button button--secondary" href="/" onClick={goTo('/')}>
                {t.backHome}
              </a>
            </div>
          </section>
        ) : (
          <>
            <SignedIn csrf={me.csrf_token} />
            {me.is_admin && (
              <div className="my-rooms__card" data-testid="deployment-webhooks">
                <WebhooksSection scope={null} csrf={me.csrf_token} />
              </div>
            )}
          </>
        )}
      </main>
    </div>
  );
}

function SignedIn({ csrf }: { csrf: string }) {
  const { t } = useI18n();
  const [rooms, setRooms] = useState<MyRoom[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      setRooms(await listMyRooms());
      setError(null);
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    }
  }, [t]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <>
      <p className="my-rooms__muted my-rooms__intro">{t.myRoomsIntro}</p>
      <CreateRoomForm csrf={csrf} onCreated={reload} />
      <ErrorLine error={error} />
      {rooms === null ? (
        !error && (
          <p className="my-rooms__muted" role="status">
            {t.loading}
          </p>
        )
      ) : rooms.length === 0 ? (
        <p className="my-rooms__muted">{t.noRoomsYet}</p>
      ) : (
        <ul className="my-rooms__list" aria-label={t.myRooms}>
          {rooms.map((room) => (
            <RoomRow
              key={room.slug}
              room={room}
              csrf={csrf}
              open={open === room.slug}
              onToggle={() => setOpen(open === room.slug ? null : room.slug)}
              onChanged={reload}
            />
          ))}
        </ul>
      )}
    </>
  );
}

function CreateRoomForm({ csrf, onCreated }: { csrf: string; onCreated: () => Promise<void> }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [access, setAccess] = useState<Access>('public');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const nameId = useId();
  const accessId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const created = await createNamedRoom(csrf, name, access);
      setDone(t.roomCreated(name.trim() || created.slug));
      setName('');
      await onCreated();
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="my-rooms__card" aria-labelledby={`${nameId}-title`}>
      <h2 className="my-rooms__heading" id={`${nameId}-title`}>
        {t.newRoomTitle}
      </h2>
      <form className="my-rooms__form" onSubmit={submit}>
        <div className="my-rooms__field">
          <label className="field-label" htmlFor={nameId}>
            {t.roomNameLabel}
          </label>
          <input
            id={nameId}
            className="input input--boxed"
            data-testid="create-room-name"
            value={name}
            maxLength={120}
            placeholder={t.roomNamePlaceholder}
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <AccessField
          id={accessId}
          testId="create-room-access"
          value={access}
          onChange={setAccess}
        />
        <button type="submit" className="button button--primary" data-testid="create-room-submit" disabled={busy}>
          {busy ? t.creatingRoom : t.createRoom}
        </button>
      </form>
      <ErrorLine error={error} />
      {done && (
        <p className="my-rooms__ok" role="status">
          {done}
        </p>
      )}
    </section>
  );
}

interface RoomRowProps {
  room: MyRoom;
  csrf: string;
  open: boolean;
  onToggle: () => void;
  onChanged: () => Promise<void>;
}

function RoomRow({ room, csrf, open, onToggle, onChanged }: RoomRowProps) {
  const { t } = useI18n();
  const panelId = useId();
  const title = room.name || room.slug;
  const manage = canManage(room.my_role);
  const path = `/${encodeURIComponent(room.slug)}`;

  return (
    <li className="my-rooms__room" data-testid="room-row" data-slug={room.slug}>
      <div className="my-rooms__room-head">
        <div className="my-rooms__room-text">
          <span className="my-rooms__room-name" data-testid="room-name">
            {title}
          </span>
          <span className="my-rooms__room-meta">
            {room.name && <span className="my-rooms__code">{room.slug}</span>}
            <span className="my-rooms__badge" data-testid="room-access" data-access={room.access}>
              <span className="sr-only">{t.accessLabel}: </span>
              {accessName(t, room.access)}
            </span>
            <span className="my-rooms__badge my-rooms__badge--role" data-testid="room-role" data-role={room.my_role}>
              <span className="sr-only">{t.roleLabel}: </span>
              {roleName(t, room.my_role)}
            </span>
          </span>
        </div>
        <div className="my-rooms__room-actions">
          {manage && (
            <button
              type="button"
              className="button button--text"
              data-testid={`room-settings-${room.slug}`}
              aria-expanded={open}
              aria-controls={open ? panelId : undefined}
              aria-label={t.roomSettingsFor(title)}
              onClick={onToggle}
            >
              {t.roomSettings}
            </button>
          )}
          {manage && (
            <a
              className="button button--text"
              href={`/rooms/${encodeURIComponent(room.slug)}/records`}
              data-testid="room-records"
              aria-label={t.recordsOf(title)}
              onClick={goTo(`/rooms/${encodeURIComponent(room.slug)}/records`)}
            >
              {t.recordsTitle}
            </a>
          )}
          <a
            className="button button--secondary"
            href={path}
            data-testid="room-join"
            aria-label={t.joinRoom(title)}
            onClick={goTo(path)}
          >
            {t.join}
          </a>
        </div>
      </div>
      {manage && open && (
        <div id={panelId} className="my-rooms__settings" role="region" aria-label={t.roomSettingsFor(title)}>
          <RoomDetails room={room} csrf={csrf} onChanged={onChanged} />
          <RolesSection slug={room.slug} csrf={csrf} onChanged={onChanged} />
          <InvitationsSection slug={room.slug} csrf={csrf} />
          {room.my_role === 'owner' && <RemovalsSection slug={room.slug} csrf={csrf} />}
          <WebhooksSection scope={room.slug} csrf={csrf} />
        </div>
      )}
    </li>
  );
}

function RoomDetails({ room, csrf, onChanged }: { room: MyRoom; csrf: string; onChanged: () => Promise<void> }) {
  const { t } = useI18n();
  const [name, setName] = useState(room.name ?? '');
  const [access, setAccess] = useState<Access>(room.access);
  const [keepChat, setKeepChat] = useState(Boolean(room.keep_chat));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const nameId = useId();
  const accessId = useId();

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const change: { name?: string; access?: Access; keep_chat?: boolean } = { access, keep_chat: keepChat };
      if (name.trim()) change.name = name.trim();
      await updateRoom(csrf, room.slug, change);
      setSaved(true);
      await onChanged();
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="my-rooms__form" onSubmit={save}>
      <div className="my-rooms__field">
        <label className="field-label" htmlFor={nameId}>
          {t.roomNameLabel}
        </label>
        <input
          id={nameId}
          className="input input--boxed"
          data-testid="room-name-input"
          value={name}
          maxLength={120}
          onChange={(event) => {
            setName(event.target.value);
            setSaved(false);
          }}
        />
      </div>
      <AccessField
        id={accessId}
        testId="room-access-select"
        value={access}
        onChange={(level) => {
          setAccess(level);
          setSaved(false);
        }}
      />
      <KeepChatField
        value={keepChat}
        onChange={(keep) => {
          setKeepChat(keep);
          setSaved(false);
        }}
      />
      <button type="submit" className="button button--primary" data-testid="room-save" disabled={busy}>
        {busy ? t.saving : t.saveChanges}
      </button>
      <ErrorLine error={error} />
      {saved && (
        <p className="my-rooms__ok" role="status">
          {t.saved}
        </p>
      )}
    </form>
  );
}

function RolesSection({ slug, csrf, onChanged }: { slug: string; csrf: string; onChanged: () => Promise<void> }) {
  const { t } = useI18n();
  const [roles, setRoles] = useState<RoomRole[] | null>(null);
  const [groups, setGroups] = useState<GroupRole[]>([]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const emailId = useId();
  const roleId = useId();

  const reload = useCallback(async () => {
    try {
      const found = await listRoles(slug);
      setRoles(found.roles);
      setGroups(found.group_roles ?? []);
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    }
  }, [slug, t]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      await reload();
      await onChanged();
      return true;
    } catch (failure) {
      setError(roomsErrorText(t, failure));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const who = email.trim();
    if (!who) return;
    if (await act(() => grantRole(csrf, slug, who, role))) setEmail('');
  };

  return (
    <section className="my-rooms__section" aria-labelledby={titleId}>
      <h3 className="my-rooms__subheading" id={titleId}>
        {t.rolesTitle}
      </h3>
      {roles !== null && roles.length === 0 && <p className="my-rooms__muted">{t.noRoles}</p>}
      {roles !== null && roles.length > 0 && (
        <ul className="my-rooms__people">
          {roles.map((holder) => {
            const who = holder.email ?? holder.full_name;
            return (
              <li key={holder.user_id} className="my-rooms__person" data-testid="role-row" data-email={holder.email ?? ''}>
                <span className="my-rooms__person-text">
                  <span className="my-rooms__person-name">{holder.full_name}</span>
                  {holder.email && <span className="my-rooms__muted my-rooms__small">{holder.email}</span>}
                </span>
                <span className="my-rooms__person-actions">
                  <select
                    className="select my-rooms__role-select"
                    data-testid="role-row-select"
                    aria-label={t.roleOf(who)}
                    value={holder.role}
                    disabled={busy}
                    onChange={(event) =>
                      void act(() => grantRole(csrf, slug, String(holder.user_id), event.target.value as Role))
                    }
                  >
                    {ROLES.map((option) => (
                      <option key={option} value={option}>
                        {roleName(t, option)}
                      </option>
                    ))}
                  </select>
                  <button
                    type="button"
                    className="button button--text my-rooms__danger"
                    data-testid="role-remove"
                    aria-label={t.removeRoleOf(who)}
                    disabled={busy}
                    onClick={() => void act(() => revokeRole(csrf, slug, String(holder.user_id)))}
                  >
                    {t.removeRole}
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {groups.length > 0 && (
        <>
          <h4 className="my-rooms__small-heading">{t.groupRolesTitle}</h4>
          <ul className="my-rooms__people">
            {groups.map((group) => (
              <li key={group.group} className="my-rooms__person" data-testid="group-role-row">
                <span className="my-rooms__person-name">{group.group}</span>
                <span className="my-rooms__badge">{roleName(t, group.role)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <form className="my-rooms__form my-rooms__form--inline" onSubmit={add}>
        <div className="my-rooms__field my-rooms__field--grow">
          <label className="field-label" htmlFor={emailId}>
            {t.roleEmailLabel}
          </label>
          <input
            id={emailId}
            type="email"
            className="input input--boxed"
            data-testid="role-email"
            value={email}
            autoComplete="off"
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <div className="my-rooms__field">
          <label className="field-label" htmlFor={roleId}>
            {t.roleLabel}
          </label>
          <select
            id={roleId}
            className="select my-rooms__select"
            data-testid="role-select"
            value={role}
            onChange={(event) => setRole(event.target.value as Role)}
          >
            {ROLES.map((option) => (
              <option key={option} value={option}>
                {roleName(t, option)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button--secondary" data-testid="role-add" disabled={busy || !email.trim()}>
          {t.addRole}
        </button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

function InvitationsSection({ slug, csrf }: { slug: string; csrf: string }) {
  const { t, language } = useI18n();
  const [invitations, setInvitations] = useState<InvitationInfo[] | null>(null);
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const [copied, setCopied] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const labelId = useId();
  const linkId = useId();

  const reload = useCallback(async () => {
    try {
      const now = Date.now();
      setInvitations((await listInvitations(slug)).filter((i) => !i.revoked && Date.parse(i.expires_at) > now));
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    }
  }, [slug, t]);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2500);
    return () => clearTimeout(timer);
  }, [copied]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      setCreated(await createInvitation(csrf, slug, label));
      setLabel('');
      await reload();
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (id: number) => {
    setBusy(true);
    setError(null);
    try {
      await revokeInvitation(csrf, slug, id);
      if (created?.id === id) setCreated(null);
      await reload();
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    } finally {
      setBusy(false);
    }
  };

  const date = (iso: string) =>
    new Date(iso).toLocaleDateString(language === 'fr' ? 'fr-FR' : 'en-GB', { day: 'numeric', month: 'short' });

  return (
    <section className="my-rooms__section" aria-labelledby={titleId}>
      <h3 className="my-rooms__subheading" id={titleId}>
        {t.invitationsTitle}
      </h3>
      <p className="my-rooms__muted my-rooms__small">{t.invitationsIntro}</p>
      <form className="my-rooms__form my-rooms__form--inline" onSubmit={create}>
        <div className="my-rooms__field my-rooms__field--grow">
          <label className="field-label" htmlFor={labelId}>
            {t.inviteLabelLabel}
          </label>
          <input
            id={labelId}
            className="input input--boxed"
            data-testid="invite-label"
            value={label}
            maxLength={100}
            placeholder={t.inviteLabelPlaceholder}
            onChange={(event) => setLabel(event.target.value)}
          />
        </div>
        <button type="submit" className="button button--secondary" data-testid="invite-create" disabled={busy}>
          {t.createInvitation}
        </button>
      </form>
      {created && (
        <div className="my-rooms__created" role="status">
          <label className="field-label" htmlFor={linkId}>
            {t.invitationLink}
            {created.label ? ` — ${created.label}` : ''}
          </label>
          <p className="my-rooms__small my-rooms__muted">{t.invitationLinkShownOnce}</p>
          <div className="my-rooms__link-row">
            <input
              id={linkId}
              className="input input--boxed my-rooms__link"
              data-testid="invite-link"
              value={created.url}
              readOnly
              onFocus={(event) => event.target.select()}
            />
            <button
              type="button"
              className="button button--primary"
              data-testid="invite-copy"
              onClick={() => void copyText(created.url).then(() => setCopied(true))}
            >
              {copied ? <CheckIcon size={20} /> : <CopyIcon size={20} />}
              {copied ? t.copied : t.copy}
            </button>
          </div>
          <span className="sr-only" aria-live="polite">
            {copied ? t.copied : ''}
          </span>
        </div>
      )}
      {invitations !== null && invitations.length === 0 && <p className="my-rooms__muted">{t.noInvitations}</p>}
      {invitations !== null && invitations.length > 0 && (
        <ul className="my-rooms__people">
          {invitations.map((invitation) => {
            const name = invitation.label || t.untitledInvitation;
            return (
              <li key={invitation.id} className="my-rooms__person" data-testid="invite-row" data-id={invitation.id}>
                <span className="my-rooms__person-text">
                  <span className="my-rooms__person-name">{name}</span>
                  <span className="my-rooms__muted my-rooms__small">{t.expiresOn(date(invitation.expires_at))}</span>
                </span>
                <button
                  type="button"
                  className="button button--text my-rooms__danger"
                  data-testid="invite-revoke"
                  aria-label={t.revokeInvitation(name)}
                  disabled={busy}
                  onClick={() => void revoke(invitation.id)}
                >
                  {t.revoke}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <ErrorLine error={error} />
    </section>
  );
}

/** People removed from the room's meetings, and letting them back (owners only). */
function RemovalsSection({ slug, csrf }: { slug: string; csrf: string }) {
  const { t, language } = useI18n();
  const [removals, setRemovals] = useState<RemovalInfo[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const titleId = useId();

  const reload = useCallback(async () => {
    try {
      setRemovals(await listRemovals(slug));
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    }
  }, [slug, t]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const letBack = async (removal: RemovalInfo, name: string) => {
    setBusy(true);
    setError(null);
    try {
      await undoRemoval(csrf, slug, removal.id);
      setAnnouncement(t.letBackDone(name));
      await reload();
    } catch (failure) {
      setError(roomsErrorText(t, failure));
    } finally {
      setBusy(false);
    }
  };

  const date = (iso: string) =>
    new Date(iso).toLocaleString(language === 'fr' ? 'fr-FR' : 'en-GB', {
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });

  return (
    <section className="my-rooms__section" aria-labelledby={titleId} data-testid="removals">
      <h3 className="my-rooms__subheading" id={titleId}>
        {t.removalsTitle}
      </h3>
      <p className="my-rooms__muted my-rooms__small">{t.removalsIntro}</p>
      {removals !== null && removals.length === 0 && <p className="my-rooms__muted">{t.noRemovals}</p>}
      {removals !== null && removals.length > 0 && (
        <ul className="my-rooms__people">
          {removals.map((removal) => {
            const name = removal.name || (removal.id.startsWith('guest:') ? t.removedGuest : t.removedPerson);
            return (
              <li key={removal.id} className="my-rooms__person" data-testid="removal-row">
                <span className="my-rooms__person-text">
                  <span className="my-rooms__person-name">{name}</span>
                  <span className="my-rooms__muted my-rooms__small">
                    {t.removedOn(date(removal.removed_at), removal.removed_by)}
                  </span>
                </span>
                <button
                  type="button"
                  className="button button--text"
                  data-testid="removal-undo"
                  aria-label={t.letBackLabel(name)}
                  disabled={busy}
                  onClick={() => void letBack(removal, name)}
                >
                  {t.letBack}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <span className="sr-only" aria-live="polite">
        {announcement}
      </span>
      <ErrorLine error={error} />
    </section>
  );
}

/** Who can enter a room: the access level, with what each level means. */
function AccessField({
  id,
  testId,
  value,
  onChange,
}: {
  id: string;
  testId: string;
  value: Access;
  onChange: (access: Access) => void;
}) {
  const { t } = useI18n();
  return (
    <div className="my-rooms__field">
      <label className="field-label" htmlFor={id}>
        {t.accessLabel}
      </label>
      <select
        id={id}
        className="select my-rooms__select"
        data-testid={testId}
        value={value}
        onChange={(event) => onChange(event.target.value as Access)}
      >
        {ACCESS_LEVELS.map((level) => (
          <option key={level} value={level}>
            {accessName(t, level)} — {accessDescription(t, level)}
          </option>
        ))}
      </select>
    </div>
  );
}
