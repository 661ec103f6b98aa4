import { useEffect, useRef, useState } from 'react';
import { createRoom } from '../api/rooms';
import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import { navigate } from './router';
import { CallEndIcon, LockIcon, PersonRemoveIcon, WarningIcon } from './icons';
import { TopBar } from './TopBar';

/** The error codes this page explains; anything else reads as a generic error. */
export type ErrorPageCode =
  | 'room_not_found'
  | 'invalid_room_link'
  | 'page_not_found'
  | 'network'
  | 'timeout'
  | 'no_webrtc'
  | 'room_full'
  | 'unsupported_version'
  | 'connection_closed'
  | 'removed'
  | 'meeting_ended'
  | 'room_locked'
  | 'denied'
  | 'rate_limited'
  | 'replaced'
  | (string & {});

function explain(code: ErrorPageCode, t: Messages): { title: string; text: string } {
  switch (code) {
    case 'room_not_found':
      return { title: t.roomNotFoundTitle, text: t.roomNotFoundText };
    case 'invalid_room_link':
      return { title: t.invalidLinkTitle, text: t.invalidLinkText };
    case 'page_not_found':
      return { title: t.pageNotFoundTitle, text: t.pageNotFoundText };
    case 'network':
      return { title: t.networkErrorTitle, text: t.networkErrorText };
    case 'timeout':
      return { title: t.loadFailedTitle, text: t.loadFailedText };
    case 'no_webrtc':
      return { title: t.noWebrtcTitle, text: t.noWebrtcText };
    case 'room_full':
      return { title: t.roomFullTitle, text: t.roomFullText };
    case 'unsupported_version':
      return { title: t.outdatedTitle, text: t.outdatedText };
    case 'connection_closed':
      return { title: t.connectionLostTitle, text: t.connectionLostText };
    case 'removed':
      return { title: t.removedTitle, text: t.removedText };
    case 'meeting_ended':
      return { title: t.meetingEndedTitle, text: t.meetingEndedText };
    case 'room_locked':
      return { title: t.roomLockedTitle, text: t.roomLockedText };
    case 'denied':
      return { title: t.deniedTitle, text: t.deniedText };
    case 'rate_limited':
      return { title: t.rateLimitedTitle, text: t.tooManyAttempts };
    case 'replaced':
      return { title: t.replacedTitle, text: t.replacedText };
    default:
      return { title: t.genericErrorTitle, text: t.genericErrorText };
  }
}

interface ErrorPageProps {
  code: ErrorPageCode;
  /** Offered as "Try again" (e.g. retry the room lookup or rejoin). */
  onRetry?: () => void;
}

/** A whole page that says what went wrong and what to do; never a blank page. */
export function ErrorPage({ code, onRetry }: ErrorPageProps) {
  const { t } = useI18n();
  const { title, text } = explain(code, t);
  const [creating, setCreating] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  // The page replaced another (often "Loading…"): move focus to what went wrong, so that a screen
  // reader reads it and the keyboard starts from there.
  useEffect(() => {
    heading.current?.focus();
  }, [code]);
  const offerNewMeeting = code === 'room_not_found' || code === 'invalid_room_link' || code === 'page_not_found';

  const startMeeting = async () => {
    setCreating(true);
    try {
      const room = await createRoom();
      navigate(`/${room.slug}`);
    } catch {
      setCreating(false);
    }
  };

  return (
    <div className="page page--light">
      <TopBar account={false} />
      <main className="centered" data-testid="error-page" data-error-code={code}>
        <div className="message-card">
          <span className="message-card__icon">
            {code === 'meeting_ended' ? (
              <CallEndIcon size={32} />
            ) : code === 'room_locked' ? (
              <LockIcon size={32} />
            ) : code === 'removed' ? (
              <PersonRemoveIcon size={32} />
            ) : (
              <WarningIcon size={32} />
            )}
          </span>
          <h1 ref={heading} tabIndex={-1}>
            {title}
          </h1>
          <p>{text}</p>
          <div className="button-row">
            {onRetry && (
              <button type="button" className="button button--primary" onClick={onRetry}>
                {code === 'unsupported_version' ? t.reload : t.retry}
              </button>
            )}
            {offerNewMeeting && (
              <button
                type="button"
                className="button button--primary"
                data-testid="new-meeting"
                onClick={startMeeting}
                disabled={creating}
              >
                {creating ? t.creatingMeeting : t.newMeeting}
              </button>
            )}
            <button type="button" className="button button--secondary" onClick={() => navigate('/')}>
              {t.returnHome}
            </button>
          </div>
        </div>
      </main>
    </div>
  );
}
