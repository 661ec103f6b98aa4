import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { ConnectionStatus, ServerNotice } from '../room/session';
import { bannerAt, followStatus, startTimeline } from './reconnectBanner';

interface ReconnectBannerProps {
  status: ConnectionStatus;
  /** What the server said about the wait (the meeting moves to another server, or the service is briefly unavailable). */
  notice?: ServerNotice;
  /** "Rejoin": try again now (the session keeps trying by itself too). */
  onRejoin: () => void;
}

/** "Connecting…", "Reconnecting…", "Reconnected", or a plain failure with "Rejoin" (reconnectBanner.ts). */
export function ReconnectBanner({ status, notice = null, onRejoin }: ReconnectBannerProps) {
  const { t } = useI18n();
  const [timeline, setTimeline] = useState(() => startTimeline(status, performance.now()));
  const [now, setNow] = useState(() => performance.now());

  useEffect(() => {
    const at = performance.now();
    setTimeline((previous) => followStatus(previous, status, at));
    setNow(at);
  }, [status]);

  const banner = bannerAt(timeline, now, notice);
  useEffect(() => {
    if (banner.changesInMs === null) return;
    const timer = setTimeout(() => setNow(performance.now()), banner.changesInMs + 10);
    return () => clearTimeout(timer);
  }, [banner.changesInMs, banner.kind]);

  switch (banner.kind) {
    case 'none':
      return null;
    case 'connecting':
      return (
        <div className="banner banner--quiet" role="status">
          <span className="spinner" aria-hidden="true" />
          {t.connecting}
        </div>
      );
    case 'reconnecting':
      return (
        <div className="banner" data-testid="reconnecting" data-state="reconnecting" role="status">
          <span className="spinner" aria-hidden="true" />
          <span className="banner__text">
            <span>{t.reconnecting}</span>
            <span className="banner__hint">{t.reconnectingHint}</span>
          </span>
        </div>
      );
    case 'moving':
    case 'unavailable':
      // A polite live region: screen readers say it once, and again when the text changes.
      return (
        <div className="banner" data-testid="reconnecting" data-state={banner.kind} role="status" aria-live="polite">
          <span className="spinner" aria-hidden="true" />
          <span className="banner__text">
            <span>{banner.kind === 'moving' ? t.serverMoving : t.serverUnavailable}</span>
            <span className="banner__hint">{t.serverWaitHint}</span>
          </span>
        </div>
      );
    case 'failed':
      return (
        <div className="banner banner--failed" data-testid="reconnecting" data-state="failed" role="alert">
          <span>{t.reconnectFailed}</span>
          <button
            type="button"
            className="button button--primary"
            data-testid="banner-rejoin"
            onClick={() => {
              const at = performance.now();
              setTimeline((previous) => ({ ...previous, since: at }));
              setNow(at);
              onRejoin();
            }}
          >
            {t.rejoin}
          </button>
        </div>
      );
    case 'reconnected':
      return (
        <div className="banner banner--ok" data-testid="reconnected" role="status">
          {t.reconnected}
        </div>
      );
  }
}
