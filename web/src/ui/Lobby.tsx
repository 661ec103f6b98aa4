import { useI18n } from '../i18n/I18nProvider';
import type { WaitingPersonInfo } from '../room/protocol';
import type { RoomSession } from '../room/session';
import { Avatar } from './Avatar';

/** The screen of someone waiting in the lobby until a moderator lets them in. */
export function LobbyWaiting({ reason, onLeave }: { reason: string; onLeave: () => void }) {
  const { t } = useI18n();
  return (
    <div className="page page--light centered" data-testid="lobby-waiting" data-reason={reason}>
      <div className="lobby-card" role="status" aria-live="polite">
        <span className="spinner" aria-hidden="true" />
        <h1>{t.lobbyWaitingTitle}</h1>
        <p>{t.lobbyWaitingText(reason)}</p>
        <button type="button" className="button button--secondary" onClick={onLeave} data-testid="lobby-leave">
          {t.leave}
        </button>
      </div>
    </div>
  );
}

/** Moderators: who is waiting in the lobby, each to admit or deny, or everyone at once. */
export function LobbyQueue({ session, waiting }: { session: RoomSession; waiting: WaitingPersonInfo[] }) {
  const { t } = useI18n();
  return (
    <section className="lobby-queue" data-testid="lobby-queue" aria-label={t.lobbyTitle(waiting.length)}>
      <h2>{t.lobbyTitle(waiting.length)}</h2>
      <ul>
        {waiting.map((person) => (
          <li key={person.id} className="lobby-queue__person" data-testid="lobby-person" data-waiting-id={person.id}>
            <Avatar name={person.name} size="small" />
            <span className="lobby-queue__name">{person.name}</span>
            {person.identity === 'guest' && <span className="person__role person__role--guest">{t.guestBadge}</span>}
            <button type="button" className="button button--primary" data-testid="lobby-admit" onClick={() => session.admit(person.id)}>
              {t.lobbyAdmit}
            </button>
            <button type="button" className="button button--secondary" data-testid="lobby-deny" onClick={() => session.deny(person.id)}>
              {t.lobbyDeny}
            </button>
          </li>
        ))}
      </ul>
      {waiting.length > 1 && (
        <button type="button" className="button button--secondary" data-testid="lobby-admit-all" onClick={() => session.admit('all')}>
          {t.lobbyAdmitAll}
        </button>
      )}
    </section>
  );
}
