import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { ReactionName } from '../room/protocol';
import type { LocalMediaState, RoomSession } from '../room/session';
import { DeviceSettingsDialog } from './DeviceSettingsDialog';
import { CloseIcon } from './icons';
import { loadSoundsEnabled, playPresenceSound, saveSoundsEnabled, shouldPlaySound, soundsPlayed } from './notificationSounds';
import { addFloating, liveFloating, ReactionAnnouncer, REACTION_SHOWN_MS, type FloatingReaction } from './reactions';
import { ShortcutsDialog } from './ShortcutsDialog';
import { isPushToTalkKey, PushToTalk, shortcutFor, type ShortcutAction } from './shortcuts';
import { useMeetingDevices, type MeetingDevices } from './useMeetingDevices';

interface MeetingExperienceOptions {
  session: RoomSession;
  local: LocalMediaState;
  /** Everyone in the meeting, you included. */
  peopleCount: number;
  /** Says a sentence in the meeting's live region. */
  announce: (text: string) => void;
  /** The speaker chosen before joining. */
  speakerId: string | undefined;
  /** The C shortcut: opens or closes the chat, where the meeting has one. */
  onToggleChat?: (() => void) | undefined;
  /** The L shortcut: the next layout, where the meeting offers several. */
  onCycleLayout?: (() => void) | undefined;
}

/** Someone came or went, shown for a few seconds (screen readers hear it through the live region). */
interface PresenceNotice {
  key: number;
  text: string;
}

export interface MeetingExperience {
  floating: FloatingReaction[];
  react: (reaction: ReactionName) => void;
  devices: MeetingDevices;
  openSettings: () => void;
  openShortcuts: () => void;
  /** Space is held: the microphone is open until it is released. */
  pushToTalk: boolean;
  /** The dialogs and notices to render at the end of the meeting page. */
  overlays: ReactNode;
}

const PRESENCE_NOTICE_MS = 4_000;

/**
 * What a person reaches for during a meeting besides the main buttons: reactions (floating over
 * the sender's tile, announced at most every 2 s), join and leave sounds in small meetings,
 * keyboard shortcuts with their help dialog and push-to-talk, and the device settings.
 */
export function useMeetingExperience(options: MeetingExperienceOptions): MeetingExperience {
  const { session, local, peopleCount, announce, speakerId, onToggleChat, onCycleLayout } = options;
  const { t } = useI18n();
  const [floating, setFloating] = useState<FloatingReaction[]>([]);
  const [dialog, setDialog] = useState<'settings' | 'shortcuts' | null>(null);
  const [soundsEnabled, setSoundsEnabled] = useState(loadSoundsEnabled);
  const [presence, setPresence] = useState<PresenceNotice | null>(null);
  const [talking, setTalking] = useState(false);
  const devices = useMeetingDevices(session, local, speakerId);

  // The latest values, for listeners registered once.
  const latest = useRef({ t, announce, local, peopleCount, soundsEnabled, onToggleChat, onCycleLayout });
  latest.current = { t, announce, local, peopleCount, soundsEnabled, onToggleChat, onCycleLayout };

  // Space held while muted opens the microphone until it is released.
  const pushToTalk = useRef(
    new PushToTalk((enabled) => {
      session.setMicrophoneEnabled(enabled);
    }),
  );

  // ---- reactions, join and leave ----
  useEffect(() => {
    const announcer = new ReactionAnnouncer();
    let key = 0;
    const nameOf = (id: string) =>
      id === session.participantId ? latest.current.t.you : (session.participants.find((p) => p.id === id)?.name ?? '');
    const presenceChanged = (text: string, sound: 'joined' | 'left', count: number) => {
      setPresence({ key: ++key, text });
      if (shouldPlaySound(latest.current.soundsEnabled, count)) playPresenceSound(sound);
    };
    const offs = [
      session.on('reaction', (participantId, reaction) => {
        const now = performance.now();
        setFloating((current) => addFloating(current, { key: ++key, participantId, reaction, at: now }));
        const text = announcer.announce(nameOf(participantId), reaction, now, latest.current.t);
        if (text) latest.current.announce(text);
      }),
      // Counted after the change: the people now present, you included.
      session.on('participant-joined', (p) =>
        presenceChanged(latest.current.t.participantJoined(p.name), 'joined', session.participants.length + 1),
      ),
      session.on('participant-left', (p) =>
        presenceChanged(latest.current.t.participantLeft(p.name), 'left', session.participants.length + 1),
      ),
      session.on('moderated', (event) => {
        if (event.action === 'mute') pushToTalk.current.cancel();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [session]);

  useEffect(() => {
    if (floating.length === 0) return;
    const oldest = Math.min(...floating.map((item) => item.at));
    const timer = setTimeout(
      () => setFloating((current) => liveFloating(current, performance.now())),
      Math.max(50, oldest + REACTION_SHOWN_MS - performance.now()),
    );
    return () => clearTimeout(timer);
  }, [floating]);

  useEffect(() => {
    if (!presence) return;
    const timer = setTimeout(() => setPresence(null), PRESENCE_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [presence]);

  // ---- keyboard ----
  useEffect(() => {
    const ptt = pushToTalk.current;
    const run = (action: ShortcutAction): boolean => {
      const { local: now, onToggleChat: chat, onCycleLayout: layout } = latest.current;
      switch (action) {
        case 'microphone':
          session.setMicrophoneEnabled(!now.audio);
          return true;
        case 'camera':
          session.setCameraEnabled(!now.video);
          return true;
        case 'hand':
          return session.raiseHand(!session.handRaised);
        case 'chat':
          chat?.();
          return Boolean(chat);
        case 'layout':
          layout?.();
          return Boolean(layout);
        case 'help':
          setDialog('shortcuts');
          return true;
      }
    };
    const onKeyDown = (event: KeyboardEvent) => {
      if (isPushToTalkKey(event)) {
        if (ptt.active || ptt.press(latest.current.local.audio)) {
          event.preventDefault(); // No page scroll while Space is held.
          setTalking(true);
        }
        return;
      }
      const action = shortcutFor(event);
      if (action && run(action)) event.preventDefault();
    };
    const release = () => {
      if (!ptt.active) return;
      ptt.release(latest.current.local.audio);
      setTalking(false);
    };
    const onKeyUp = (event: KeyboardEvent) => {
      if (event.key === ' ' || event.code === 'Space') release();
    };
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keyup', onKeyUp);
    window.addEventListener('blur', release);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('blur', release);
    };
  }, [session]);
  // A moderator's mute while Space is held ends push-to-talk on screen too.
  useEffect(() => {
    if (talking && !pushToTalk.current.active) setTalking(false);
  }, [talking, local.audio]);

  const react = useCallback((reaction: ReactionName) => void session.react(reaction), [session]);
  const available = new Set<ShortcutAction>(['microphone', 'camera', 'hand', 'help']);
  if (onToggleChat) available.add('chat');
  if (onCycleLayout) available.add('layout');

  const lost = devices.lost;
  const lostText = lost
    ? lost.kind === 'microphone'
      ? t.microphoneLost(lost.lost, lost.now)
      : t.cameraLost(lost.lost, lost.now)
    : null;

  const overlays = (
    <>
      {talking && (
        <div className="push-to-talk" role="status" data-testid="push-to-talk">
          {t.pushToTalkActive}
        </div>
      )}
      <div className="presence-notices" data-testid="presence-notices" data-sounds={soundsPlayed()}>
        {presence && (
          <p key={presence.key} className="presence-notice" data-testid="presence-notice">
            {presence.text}
          </p>
        )}
      </div>
      {lostText && (
        <div className="toast toast--notice device-notice" role="alert" data-testid="device-notice" data-kind={lost?.kind}>
          <span className="toast__text">{lostText}</span>
          <button type="button" className="icon-button" aria-label={t.dismiss} onClick={devices.dismissLost}>
            <CloseIcon size={20} />
          </button>
        </div>
      )}
      {dialog === 'shortcuts' && <ShortcutsDialog available={available} onClose={() => setDialog(null)} />}
      {dialog === 'settings' && (
        <DeviceSettingsDialog
          devices={devices}
          microphoneTrack={local.microphoneTrack}
          audio={local.audio}
          soundsEnabled={soundsEnabled}
          onSounds={(enabled) => {
            setSoundsEnabled(enabled);
            saveSoundsEnabled(enabled);
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );

  return {
    floating,
    react,
    devices,
    openSettings: () => setDialog('settings'),
    openShortcuts: () => setDialog('shortcuts'),
    pushToTalk: talking,
    overlays,
  };
}
