import { useEffect, useId, useRef, useState } from 'react';
import { loginUrl } from '../api/auth';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from './AuthProvider';
import { Avatar } from './Avatar';
import { navigate } from './router';
import './account.css';

/** "Log in with ProConnect" for guests; the person's name with a logout menu once signed in. */
export function AccountMenu() {
  const { t } = useI18n();
  const { loading, me, providers, logout } = useAuth();
  const [open, setOpen] = useState(false);
  const [failed, setFailed] = useState(false);
  const popupId = useId();
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent) {
        if (event.key !== 'Escape') return;
        toggle.current?.focus();
      } else if (root.current?.contains(event.target as Node)) {
        return;
      }
      setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  if (loading) return null;
  if (!me) {
    const here = window.location.pathname + window.location.search;
    return (
      <div className="account">
        {providers.map((provider) => (
          <a
            key={provider.id}
            className="button button--secondary signin-button"
            href={loginUrl(provider, here.startsWith('/?') ? '/' : here)}
            data-testid={`login-${provider.id}`}
          >
            {provider.logo_url && <img src={provider.logo_url} alt="" className="signin-button__logo" />}
            {t.logInWith(provider.display_name)}
          </a>
        ))}
      </div>
    );
  }

  const name = me.user.full_name;
  return (
    <div className="account" ref={root}>
      <button
        type="button"
        ref={toggle}
        className="button button--ghost account__toggle"
        aria-expanded={open}
        aria-controls={open ? popupId : undefined}
        data-testid="account-menu"
        onClick={() => setOpen(!open)}
      >
        <Avatar name={name} size="small" />
        <span className="account__name" data-testid="account-name">
          {name}
        </span>
        <span className="sr-only">{t.accountMenu}</span>
      </button>
      {open && (
        <div className="account__popup" id={popupId}>
          <p className="account__who">
            <strong>{name}</strong>
            {me.user.email && <span className="account__email">{me.user.email}</span>}
          </p>
          <a
            href="/rooms"
            className="button button--ghost button--block account__link"
            data-testid="my-rooms-link"
            onClick={(event) => {
              if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
              event.preventDefault();
              setOpen(false);
              navigate('/rooms');
            }}
          >
            {t.myRooms}
          </a>
          <a
            href="/meetings"
            className="button button--ghost button--block account__link"
            data-testid="my-meetings-link"
            onClick={(event) => {
              if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
              event.preventDefault();
              setOpen(false);
              navigate('/meetings');
            }}
          >
            {t.myMeetings}
          </a>
          <a
            href="/meetings/calendar"
            className="button button--ghost button--block account__link"
            data-testid="my-calendar-link"
            onClick={(event) => {
              if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
              event.preventDefault();
              setOpen(false);
              navigate('/meetings/calendar');
            }}
          >
            {t.myCalendar}
          </a>
          <button
            type="button"
            className="button button--secondary button--block"
            data-testid="logout"
            onClick={() => {
              setFailed(false);
              logout().catch(() => setFailed(true));
            }}
          >
            {t.logOut}
          </button>
          {failed && (
            <p className="form-error" role="alert">
              {t.logOutFailed}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
