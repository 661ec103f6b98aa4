import { useEffect, useId, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import type { CaptionLanguage } from '../room/protocol';
import type { ModeratedEvent, RoomSession, SessionError } from '../room/session';
import {
  captionsAnnouncement,
  lockAnnouncement,
  moderationAnnouncement,
  participantLeftAnnouncement,
  participantsAnnouncement,
  selfAnnouncement,
} from './announcements';
import { CaptionsIndicator, CaptionsOverlay } from './CaptionsOverlay';
import { CaptionsPanel, type CaptionsPending } from './CaptionsPanel';
import { ChatPanel, ChatToast } from './ChatPanel';
import { ControlsBar } from './ControlsBar';
import { RecordingStatus } from '../recording/RecordingStatus';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyLinkButton } from './CopyLinkButton';
import { CloseIcon, LockIcon } from './icons';
import { ParticipantsPanel, type PanelModeration, type ParticipantRow } from './ParticipantsPanel';
import { CAPTION_TEXT_SCALES, loadCaptionPreferences, saveCaptionPreferences, type CaptionPreferences } from './preferences';
import type { JoinSettings } from './PreJoin';
import { ReconnectBanner } from './ReconnectBanner';
import { RemoteAudio } from './RemoteAudio';
import { LobbyQueue, LobbyWaiting } from './Lobby';
import { meetingTiles, remoteAudios } from './tiles';
import { useCaptionStore, useOverlayLines } from './useCaptions';
import { useRoomSession } from './useRoomSession';
import { useLayerSelection } from './useLayerSelection';
import { RECEIVE_CAP, useLinkAdaptation } from './useLinkAdaptation';
import { LinkNotice } from './LinkNotice';
import { audioOnly, linkAnnouncement } from './linkNotice';
import { LayoutMenu, layoutLabel } from './LayoutMenu';
import type { LayoutName } from './layouts';
import { MeetingStage } from './MeetingStage';
import { useMeetingLayout } from './useMeetingLayout';
import { useChat } from './useChat';
import { FloatingReactionsContext } from './Reactions';
import { useMeetingExperience } from './useMeetingExperience';
import { TranscriptIndicator, useTranscription } from '../transcripts/MeetingTranscript';

interface MeetingRoomProps {
  slug: string;
  session: RoomSession;
  settings: JoinSettings;
  onLeave: () => void;
}

function errorText(error: SessionError, t: Messages): string {
  switch (error.code) {
    case 'camera_failed':
      return t.cameraFailed;
    case 'microphone_failed':
      return t.microphoneFailed;
    case 'screen_failed':
      return t.screenFailed;
    case 'forbidden':
      if (error.request === 'transcription') return t.transcriptForbidden;
      return error.request === 'moderation' ? t.moderationForbidden : t.captionsForbidden;
    case 'participant_not_found':
      return t.participantNotFound;
    case 'captions_unavailable':
      return t.captionsUnavailable;
    case 'transcription_unavailable':
      return t.transcriptUnavailable;
    case 'rate_limited':
      return t.reactionsTooFast;
    default:
      return t.mediaFailed;
  }
}

/** The stream of a track, kept while the track is the same (a new object would restart the video). */
function useTrackStream(track: MediaStreamTrack | null): MediaStream | null {
  return useMemo(() => (track ? new MediaStream([track]) : null), [track]);
}

type PanelName = 'participants' | 'captions' | 'chat';

export function MeetingRoom({ slug, session, settings, onLeave }: MeetingRoomProps) {
  const { t } = useI18n();
  const state = useRoomSession(session);
  const transcription = useTranscription(session);
  const [panel, setPanel] = useState<PanelName | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [toast, setToast] = useState<SessionError | null>(null);
  const [notice, setNotice] = useState<ModeratedEvent | null>(null);
  const [startMuted, setStartMuted] = useState(false);
  const [confirmingEnd, setConfirmingEnd] = useState(false);
  const [captionPreferences, setCaptionPreferences] = useState<CaptionPreferences>(loadCaptionPreferences);
  const [captionsPending, setCaptionsPending] = useState<CaptionsPending>(null);
  const { store: captionStore, snapshot: captionSnapshot } = useCaptionStore(session);
  const overlayLines = useOverlayLines(captionSnapshot);
  const baseId = useId().replace(/:/g, '');
  const panelId = baseId + 'participants';
  const captionsPanelId = baseId + 'captions';
  const chatPanelId = baseId + 'chat';
  const messages = useRef(t);
  messages.current = t;
  const chat = useChat(session, panel === 'chat', (message) =>
    setAnnouncement(messages.current.chatNewMessageFrom(message.name)),
  );

  useEffect(() => {
    document.title = `${slug} – Visio`;
  }, [slug]);

  useEffect(() => {
    const offs = [
      session.on('participant-joined', (p) => setAnnouncement(messages.current.participantJoined(p.name))),
      session.on('participant-left', (p, reason) => setAnnouncement(participantLeftAnnouncement(p.name, reason, messages.current))),
      session.on('error', (error) => {
        if (!error.fatal) setToast(error);
        if (error.request === 'captions' || error.code === 'captions_unavailable') setCaptionsPending(null);
      }),
      session.on('moderated', (event) => {
        if (event.changed) setNotice(event);
      }),
      session.on('knock', (person) => setAnnouncement(messages.current.lobbyKnocked(person.name))),
      session.on('start-muted', () => setStartMuted(true)),
      session.on('lock', (lock) => {
        const text = lockAnnouncement(lock, session.participantId, session.participants, messages.current);
        if (text) setAnnouncement(text);
      }),
    ];
    let previousParticipants = session.participants;
    let previousSelf = session.self;
    offs.push(
      session.on('participants', (participants) => {
        const text = participantsAnnouncement(previousParticipants, participants, messages.current);
        previousParticipants = participants;
        if (text) setAnnouncement(text);
      }),
      session.on('self', (self) => {
        const text = selfAnnouncement(previousSelf, self, messages.current);
        previousSelf = self;
        if (text) setAnnouncement(text);
      }),
    );
    let previousCaptions = session.captions;
    offs.push(
      session.on('captions', (captions) => {
        setCaptionsPending(null);
        // Someone else's change is worth their name; your own is just confirmed.
        const by = captions.set_by && captions.set_by !== session.participantId ? captionStore.nameOf(captions.set_by) || null : null;
        const text = captionsAnnouncement(previousCaptions, captions, by, messages.current);
        previousCaptions = captions;
        if (text) setAnnouncement(text);
      }),
    );
    return () => offs.forEach((off) => off());
  }, [session, captionStore]);

  useEffect(() => {
    if (!captionsPending) return;
    // No answer (e.g. the connection dropped meanwhile): let the moderator try again.
    const timer = setTimeout(() => setCaptionsPending(null), 10_000);
    return () => clearTimeout(timer);
  }, [captionsPending]);

  const updateCaptionPreferences = (change: Partial<CaptionPreferences>) =>
    setCaptionPreferences((previous) => {
      const next = { ...previous, ...change };
      saveCaptionPreferences(next);
      return next;
    });

  // Reading in English is this person's own choice, remembered; the session tells the server.
  useEffect(() => session.setCaptionsInEnglish(captionPreferences.english), [session, captionPreferences.english]);

  const setCaptions = (enabled: boolean, language: CaptionLanguage) => {
    if (session.setCaptions(enabled, language)) setCaptionsPending(enabled ? 'on' : 'off');
  };

  const toggleCaptions = () => {
    if (!state.captions.enabled) {
      // Nothing to show until the meeting has subtitles: open the panel that says so (and lets a
      // moderator turn them on), and show them once they come.
      updateCaptionPreferences({ visible: true });
      setPanel('captions');
      return;
    }
    updateCaptionPreferences({ visible: !captionPreferences.visible });
  };

  const togglePanel = (name: PanelName) => setPanel((open) => (open === name ? null : name));

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 8000);
    return () => clearTimeout(timer);
  }, [toast]);

  const { local, participants, tracks, status, captions, lock } = state;
  const link = useLinkAdaptation(session);
  useLayerSelection(session, tracks, RECEIVE_CAP[link.modes.receive]);
  const previousLink = useRef(link.modes);
  useEffect(() => {
    const text = linkAnnouncement(previousLink.current, link.modes, messages.current);
    previousLink.current = link.modes;
    if (text) setAnnouncement(text);
  }, [link.modes]);

  // The notice goes once the person turned back on what a moderator turned off, or after a while.
  const noticeResolved =
    notice !== null &&
    ((notice.action === 'mute' && local.audio) ||
      (notice.action === 'lower_hand' && Boolean(state.self?.hand_raised_at)) ||
      (notice.action === 'camera_off' && local.video) ||
      (notice.action === 'stop_screen' && local.screenTrack !== null));
  useEffect(() => {
    if (!notice) return;
    if (noticeResolved) return setNotice(null);
    const timer = setTimeout(() => setNotice(null), 20_000);
    return () => clearTimeout(timer);
  }, [notice, noticeResolved]);
  const handRaisedAt = state.self?.hand_raised_at;
  const localCamera = useTrackStream(local.video ? local.cameraTrack : null);
  const localScreen = useTrackStream(local.screenTrack);
  const selfId = state.self?.id ?? session.participantId ?? 'local';

  const { stageTiles, gridTiles } = useMemo(
    () =>
      meetingTiles(
        {
          id: selfId,
          name: settings.name,
          audio: local.audio,
          microphoneTrack: local.microphoneTrack,
          camera: localCamera,
          screen: localScreen,
          handRaised: Boolean(handRaisedAt),
        },
        participants,
        tracks,
        t,
      ),
    [selfId, settings.name, local, localCamera, localScreen, participants, tracks, handRaisedAt, t],
  );
  const audios = remoteAudios(participants, tracks);
  const view = useMeetingLayout(stageTiles, state.speaking, [selfId, ...participants.map((p) => p.id)]);

  const moderator = Boolean(state.self?.moderator);
  const moderation: PanelModeration | null = moderator
    ? {
        by: { role: state.self?.role, moderatorBy: state.self?.moderator_by },
        locked: lock.locked,
        onModerate: (action, participant) => {
          if (!session.moderate(action, participant.id)) return;
          const text = moderationAnnouncement(action, participant.name, t);
          if (text) setAnnouncement(text);
        },
        onMuteAll: () => {
          if (session.moderate('mute')) setAnnouncement(t.everyoneMuted);
        },
        onLock: (locked) => session.lockRoom(locked),
      }
    : null;
  const rows: ParticipantRow[] = [
    {
      id: selfId,
      name: settings.name,
      local: true,
      moderator,
      audio: local.audio,
      video: local.video,
      screen: Boolean(local.screenTrack),
      guest: state.self?.identity === 'guest',
      sharedDevice: state.self?.shared_device === true,
      handRaisedAt,
      role: state.self?.role,
    },
    ...participants.map((p) => ({
      id: p.id,
      name: p.name,
      local: false,
      moderator: p.moderator,
      audio: p.audio,
      video: p.video,
      screen: p.screen,
      guest: p.identity === 'guest',
      sharedDevice: p.shared_device === true,
      handRaisedAt: p.hand_raised_at,
      role: p.role,
    })),
  ];

  const experience = useMeetingExperience({
    session,
    local,
    peopleCount: rows.length,
    announce: setAnnouncement,
    speakerId: settings.speakerId,
    onToggleChat: () => togglePanel('chat'),
    onCycleLayout: () => {
      const order: LayoutName[] = stageTiles.length > 0 ? ['grid', 'speaker', 'screen'] : ['grid', 'speaker'];
      const next = order[(order.indexOf(view.layout) + 1) % order.length] ?? 'grid';
      view.choose(next);
      setAnnouncement(t.layoutChanged(layoutLabel(next, t)));
    },
  });

  if (state.waiting !== null) {
    return <LobbyWaiting reason={state.waiting} onLeave={onLeave} />;
  }
  const captionsShown = captions.enabled && captionPreferences.visible;
  const captionScale = CAPTION_TEXT_SCALES[captionPreferences.textSize] ?? 1;

  return (
    <div
      className={`meeting ${panel ? 'meeting--panel' : ''}`}
      data-link-receive={link.modes.receive}
      data-link-send={link.modes.send}
      style={{ '--caption-scale': captionScale } as CSSProperties}
    >
      <ReconnectBanner status={status} notice={state.serverNotice} onRejoin={() => session.reconnect()} />
      <h1 className="sr-only">{`Visio – ${slug}`}</h1>
      {moderator && state.lobby.length > 0 && <LobbyQueue session={session} waiting={state.lobby} />}
      <FloatingReactionsContext.Provider value={experience.floating}>
      <div className="meeting__body">
        <main className="stage">
          <MeetingStage screens={stageTiles} cameras={gridTiles} speaking={state.speaking} view={view} />
          {participants.length === 0 && status !== 'reconnecting' && (
            <div className="alone-card">
              <p>{t.aloneInMeeting}</p>
              <CopyLinkButton slug={slug} className="button button--secondary-dark" />
            </div>
          )}
          <div className="stage__indicators">
            {lock.locked && (
              <p className="stage-indicator" data-testid="room-locked">
                <LockIcon size={16} />
                <span>{t.meetingLocked}</span>
              </p>
            )}
            <CaptionsIndicator captions={captions} />
            <RecordingStatus session={session} moderator={moderator} />
            <TranscriptIndicator session={session} state={transcription} moderator={moderator} />
          </div>
          {captionsShown && <CaptionsOverlay lines={overlayLines} selfId={selfId} english={captionPreferences.english} />}
        </main>
        {panel === 'participants' && (
          <ParticipantsPanel
            id={panelId}
            rows={rows}
            moderation={moderation}
            onClose={() => setPanel(null)}
            pinned={view.pinned}
            onPin={(row, pin) => {
              view.setPinned(pin ? row.id : null);
              setAnnouncement(pin ? t.pinnedAnnouncement(row.name) : t.unpinnedAnnouncement(row.name));
            }}
          />
        )}
        {panel === 'captions' && (
          <CaptionsPanel
            id={captionsPanelId}
            captions={captions}
            history={captionSnapshot.history}
            selfId={selfId}
            moderator={moderator}
            pending={captionsPending}
            visible={captionPreferences.visible}
            textSize={captionPreferences.textSize}
            english={captionPreferences.english}
            onEnglish={(english) => updateCaptionPreferences({ english })}
            onTextSize={(textSize) => updateCaptionPreferences({ textSize })}
            onSetCaptions={setCaptions}
            onClose={() => setPanel(null)}
          />
        )}
        {panel === 'chat' && (
          <ChatPanel
            id={chatPanelId}
            messages={chat.snapshot.messages}
            selfId={selfId}
            moderator={moderator}
            error={chat.error}
            refusedText={chat.lastRefusedText}
            onSend={chat.send}
            onDelete={(messageId) => {
              if (session.deleteChatMessage(messageId)) setAnnouncement(t.chatMessageDeleted);
            }}
            onDismissError={chat.clearError}
            onClose={() => setPanel(null)}
          />
        )}
      </div>
      </FloatingReactionsContext.Provider>
      <footer className="meeting__footer">
        <div className="meeting__info">
          <Clock />
          <span className="meeting__divider" aria-hidden="true" />
          <span className="meeting__code">{slug}</span>
        </div>
        <ControlsBar
          audio={local.audio}
          video={local.video}
          sharing={Boolean(local.screenTrack)}
          canShare={session.canShareScreen}
          panelOpen={panel === 'participants'}
          handRaised={Boolean(handRaisedAt)}
          onToggleHand={() => session.raiseHand(!handRaisedAt)}
          participantCount={rows.length}
          panelId={panelId}
          captionsShown={captionsShown}
          captionsEnabled={captions.enabled}
          captionsPanelOpen={panel === 'captions'}
          captionsPanelId={captionsPanelId}
          onToggleCaptions={toggleCaptions}
          onToggleCaptionsPanel={() => togglePanel('captions')}
          onToggleMic={() => session.setMicrophoneEnabled(!local.audio)}
          onToggleCamera={() => session.setCameraEnabled(!local.video)}
          onToggleScreen={() => (local.screenTrack ? session.stopScreenShare() : void session.startScreenShare())}
          onTogglePanel={() => togglePanel('participants')}
          onLeave={onLeave}
          onEndMeeting={moderator ? () => setConfirmingEnd(true) : undefined}
          layoutMenu={<LayoutMenu view={view} announce={setAnnouncement} />}
          chatOpen={panel === 'chat'}
          chatPanelId={chatPanelId}
          chatUnread={chat.snapshot.unread}
          onToggleChat={() => togglePanel('chat')}
          onReact={experience.react}
          onOpenSettings={experience.openSettings}
          onShowShortcuts={experience.openShortcuts}
        />
        <div className="meeting__spacer" />
      </footer>
      <div className="toasts">
        {chat.latestUnread && panel !== 'chat' && (
          <ChatToast message={chat.latestUnread} onOpen={() => setPanel('chat')} onDismiss={chat.clearLatestUnread} />
        )}
        {notice && (
          <ModeratedNotice
            event={notice}
            onTurnBackOn={
              notice.action === 'mute'
                ? () => session.setMicrophoneEnabled(true)
                : notice.action === 'camera_off'
                  ? () => session.setCameraEnabled(true)
                  : undefined
            }
            onDismiss={() => setNotice(null)}
          />
        )}
        {audioOnly(link.modes) && !link.keepVideo && (
          <LinkNotice
            modes={link.modes}
            onKeepVideo={() => {
              link.setKeepVideo(true);
              setAnnouncement(t.linkKeptAnnouncement);
            }}
          />
        )}
        {startMuted && !local.audio && (
          <div className="toast toast--notice" role="status" data-testid="start-muted-notice">
            <span className="toast__text">
              <strong>{t.startMutedTitle}</strong>
              <span>{t.startMutedHint}</span>
            </span>
            <button type="button" className="icon-button" aria-label={t.dismiss} onClick={() => setStartMuted(false)}>
              <CloseIcon size={20} />
            </button>
          </div>
        )}
        {toast && (
          <div className="toast" role="alert">
            <span>{errorText(toast, t)}</span>
            <button type="button" className="icon-button" aria-label={t.dismiss} onClick={() => setToast(null)}>
              <CloseIcon size={20} />
            </button>
          </div>
        )}
      </div>
      {confirmingEnd && moderator && (
        <ConfirmDialog
          title={t.endConfirmTitle}
          text={t.endConfirmText}
          confirmLabel={t.endMeeting}
          onCancel={() => setConfirmingEnd(false)}
          onConfirm={() => {
            setConfirmingEnd(false);
            session.endMeeting();
          }}
        />
      )}
      {experience.overlays}
      <div className="sr-only" aria-live="polite" data-testid="announcements">
        {announcement}
      </div>
      <div hidden>
        {audios.map((audio) => (
          <RemoteAudio key={audio.participantId} participantId={audio.participantId} stream={audio.stream} speakerId={experience.devices.speakerId} />
        ))}
      </div>
    </div>
  );
}

interface ModeratedNoticeProps {
  event: ModeratedEvent;
  /**
   * Offered as a button (microphone, camera); sharing again needs the browser's picker, from the
   * toolbar, and a lowered hand goes back up from the toolbar too.
   */
  onTurnBackOn: (() => void) | undefined;
  onDismiss: () => void;
}

/** "A moderator muted you": what happened, and that turning it back on is up to the person. */
function ModeratedNotice({ event, onTurnBackOn, onDismiss }: ModeratedNoticeProps) {
  const { t } = useI18n();
  const [title, hint, action] =
    event.action === 'mute'
      ? [t.moderatedMute, t.moderatedMuteHint, t.turnOnMic]
      : event.action === 'camera_off'
        ? [t.moderatedCameraOff, t.moderatedCameraOffHint, t.turnOnCamera]
        : event.action === 'lower_hand'
          ? [t.moderatedLowerHand, t.moderatedLowerHandHint, null]
          : [t.moderatedStopScreen, t.moderatedStopScreenHint, null];
  return (
    <div className="toast toast--notice" role="alert" data-testid="moderated-notice" data-action={event.action}>
      <span className="toast__text">
        <strong>{title}</strong>
        <span>{hint}</span>
      </span>
      {onTurnBackOn && action && (
        <button type="button" className="button button--primary toast__action" data-testid="moderated-turn-back-on" onClick={onTurnBackOn}>
          {action}
        </button>
      )}
      <button type="button" className="icon-button" aria-label={t.dismiss} onClick={onDismiss}>
        <CloseIcon size={20} />
      </button>
    </div>
  );
}

/** The time of day. Formatting the first time loads locale data (~15 ms), so it waits until the room is up. */
function Clock() {
  const { language } = useI18n();
  const [now, setNow] = useState<Date | null>(null);
  useEffect(() => {
    const first = setTimeout(() => setNow(new Date()), 1500);
    const timer = setInterval(() => setNow(new Date()), 10_000);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, []);
  if (!now) return <span className="meeting__clock" />;
  return (
    <time className="meeting__clock" dateTime={now.toISOString()}>
      {now.toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit' })}
    </time>
  );
}
