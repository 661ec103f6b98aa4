import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { RoomSession } from '../room/session';
import { useAuth } from '../ui/AuthProvider';
import './embed.css';
import type { EmbedBridge, EmbedJoinRequest } from './bridge';

const EmbedContext = createContext<EmbedBridge | null>(null);

/** Hands the embedding bridge (null when the page is not embedded) to the meeting's screens. */
export function EmbedProvider({ bridge, children }: { bridge: EmbedBridge | null; children: ReactNode }) {
  return <EmbedContext.Provider value={bridge}>{children}</EmbedContext.Provider>;
}

/** The bridge to the embedding page, or null when Visio is not embedded by an allowed site. */
export function useEmbed(): EmbedBridge | null {
  return useContext(EmbedContext);
}

/** What the meeting page does for the embedding page's commands. */
export interface EmbeddedRoomActions {
  /** The meeting now on screen, if any. */
  session: RoomSession | null;
  /** Leaves the meeting on screen (as its own "Leave" button does). */
  leave: () => void;
  /** Joins again, under this name, from the "you left" screen (null when not on that screen). */
  rejoin: ((name: string) => void) | null;
}

/**
 * Connects the meeting page to the embedding page: reports the meeting's events, and carries out
 * the commands. Returns the latest `join` request for the pre-join screen to act on.
 */
export function useEmbeddedRoom({ session, leave, rejoin }: EmbeddedRoomActions): EmbedJoinRequest | null {
  const bridge = useEmbed();
  const [joinRequest, setJoinRequest] = useState<EmbedJoinRequest | null>(() => bridge?.takePendingJoin() ?? null);

  useEffect(() => (bridge && session ? bridge.attach(session) : undefined), [bridge, session]);

  useEffect(() => {
    if (!bridge) return;
    const notJoined = () => bridge.post({ type: 'error', code: 'not_joined', message: 'join the meeting first' });
    const takeJoin = () => {
      const request = bridge.takePendingJoin();
      if (!request) return;
      if (session) {
        bridge.post({ type: 'error', code: 'already_joined', message: 'already in the meeting' });
      } else if (rejoin) {
        rejoin(request.displayName);
      } else {
        setJoinRequest(request);
      }
    };
    // A join that came in between the first render and this effect waits in the bridge.
    takeJoin();
    const offs = [
      bridge.on('join', takeJoin),
      bridge.on('setAudioMuted', (muted) => (session ? session.setMicrophoneEnabled(!muted) : notJoined())),
      bridge.on('setVideoMuted', (muted) => (session ? session.setCameraEnabled(!muted) : notJoined())),
      bridge.on('leave', () => (session ? leave() : notJoined())),
    ];
    return () => offs.forEach((off) => off());
  }, [bridge, session, leave, rejoin]);

  return joinRequest;
}

/**
 * Inside another site, signing in may not work: browsers that block third-party cookies keep
 * Visio's session cookie out of the frame. Guests join all the same; this offers the meeting in a
 * tab of its own for those who want to sign in.
 */
export function EmbedSignInNote({ slug }: { slug: string }) {
  const { t } = useI18n();
  const { me } = useAuth();
  const embedded = useEmbed() !== null;
  if (!embedded || me) return null;
  return (
    <p className="embed-note" data-testid="embed-note">
      {t.embedSignInNote}{' '}
      <a href={`/${encodeURIComponent(slug)}`} target="_blank" rel="noopener noreferrer">
        {t.embedOpenInNewTab}
      </a>
    </p>
  );
}
