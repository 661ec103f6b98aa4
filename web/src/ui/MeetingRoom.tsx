import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import type { RemoteTrack } from '../room/remoteStreams';
import type { CaptionLanguage, CaptionsInfo } from '../room/protocol';
import type { RoomSession, SessionError } from '../room/session';
import { captionLanguageName } from './captionLanguages';
import { CaptionsIndicator, CaptionsOverlay } from './CaptionsOverlay';
import { CaptionsPanel, type CaptionsPending } from './CaptionsPanel';
import { ControlsBar } from './ControlsBar';
import { CopyLinkButton } from './CopyLinkButton';
import { CloseIcon } from './icons';
import { bestGrid } from './layout';
import { ParticipantsPanel, type ParticipantRow } from './ParticipantsPanel';
import { CAPTION_TEXT_SCALES, loadCaptionPreferences, saveCaptionPreferences, type CaptionPreferences } from './preferences';
import type { JoinSettings } from './PreJoin';
import { RemoteAudio } from './RemoteAudio';
import { Tile, type TileModel } from './Tile';
import { useCaptionStore, useOverlayLines } from './useCaptions';
import { useRoomSession } from './useRoomSession';

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
      return t.captionsForbidden;
    case 'captions_unavailable':
      return t.captionsUnavailable;
    default:
      return t.mediaFailed;
  }
}

/** The stream of a track, kept while the track is the same (a new object would restart the video). */
function useTrackStream(track: MediaStreamTrack | null): MediaStream | null {
  return useMemo(() => (track ? new MediaStream([track]) : null), [track]);
}

function trackOf(tracks: RemoteTrack[], participantId: string, source: RemoteTrack['source']): RemoteTrack | undefined {
  return tracks.find((track) => track.participantId === participantId && track.source === source);
}

type PanelName = 'participants' | 'captions';

/** What to announce when the meeting's subtitles change, or null when nothing a person notices changed. */
function captionsAnnouncement(previous: CaptionsInfo, next: CaptionsInfo, by: string | null, t: Messages): string | null {
  if (next.enabled) {
    if (previous.enabled && previous.language === next.language) return null;
    return t.subtitlesOnAnnouncement(captionLanguageName(next.language, t), by);
  }
  return previous.enabled ? t.subtitlesOffAnnouncement(by) : null;
}

export function MeetingRoom({ slug, session, settings, onLeave }: MeetingRoomProps) {
  const { t } = useI18n();
  const state = useRoomSession(session);
  const [panel, setPanel] = useState<PanelName | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [toast, setToast] = useState<SessionError | null>(null);
  const [captionPreferences, setCaptionPreferences] = useState<CaptionPreferences>(loadCaptionPreferences);
  const [captionsPending, setCaptionsPending] = useState<CaptionsPending>(null);
  const { store: captionStore, snapshot: captionSnapshot } = useCaptionStore(session);
  const overlayLines = useOverlayLines(captionSnapshot);
  const baseId = useId().replace(/:/g, '');
  const panelId = baseId + 'participants';
  const captionsPanelId = baseId + 'captions';
  const messages = useRef(t);
  messages.current = t;

  useEffect(() => {
    document.title = `${slug} – Visio`;
  }, [slug]);

  useEffect(() => {
    const offs = [
      session.on('participant-joined', (p) => setAnnouncement(messages.current.participantJoined(p.name))),
      session.on('participant-left', (p) => setAnnouncement(messages.current.participantLeft(p.name))),
      session.on('error', (error) => {
        if (!error.fatal) setToast(error);
        if (error.code === 'forbidden' || error.code === 'captions_unavailable') setCaptionsPending(null);
      }),
    ];
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

  const { local, participants, tracks, status, captions } = state;
  const localCamera = useTrackStream(local.video ? local.cameraTrack : null);
  const localScreen = useTrackStream(local.screenTrack);
  const selfId = state.self?.id ?? session.participantId ?? 'local';

  const { stageTiles, gridTiles } = useMemo(() => {
    const screens: TileModel[] = [];
    const cameras: TileModel[] = [
      {
        key: 'local-camera',
        participantId: selfId,
        name: settings.name,
        label: `${settings.name} ${t.youSuffix}`,
        source: 'camera',
        local: true,
        audio: local.audio,
        video: localCamera,
        microphone: local.audio ? local.microphoneTrack : null,
      },
    ];
    if (localScreen) {
      screens.push({
        key: 'local-screen',
        participantId: selfId,
        name: settings.name,
        label: t.yourScreen,
        source: 'screen',
        local: true,
        audio: local.audio,
        video: localScreen,
        microphone: null,
      });
    }
    for (const participant of participants) {
      const camera = trackOf(tracks, participant.id, 'camera');
      const microphone = trackOf(tracks, participant.id, 'microphone');
      cameras.push({
        key: `${participant.id}-camera`,
        participantId: participant.id,
        name: participant.name,
        label: participant.name,
        source: 'camera',
        local: false,
        audio: participant.audio,
        video: participant.video && camera ? camera.stream : null,
        microphone: microphone?.track ?? null,
      });
      const screen = trackOf(tracks, participant.id, 'screen');
      if (participant.screen && screen) {
        screens.push({
          key: `${participant.id}-screen`,
          participantId: participant.id,
          name: participant.name,
          label: t.screenOf(participant.name),
          source: 'screen',
          local: false,
          audio: participant.audio,
          video: screen.stream,
          microphone: null,
        });
      }
    }
    // A remote screen is what people want to see; one's own screen goes after it.
    screens.sort((a, b) => Number(a.local) - Number(b.local));
    return { stageTiles: screens, gridTiles: cameras };
  }, [selfId, settings.name, local, localCamera, localScreen, participants, tracks, t]);

  const audios = participants.flatMap((participant) => {
    const microphone = trackOf(tracks, participant.id, 'microphone');
    return microphone ? [{ participantId: participant.id, stream: microphone.stream }] : [];
  });

  const moderator = Boolean(state.self?.moderator);
  const rows: ParticipantRow[] = [
    {
      id: selfId,
      name: settings.name,
      local: true,
      moderator,
      audio: local.audio,
      video: local.video,
      screen: Boolean(local.screenTrack),
    },
    ...participants.map((p) => ({
      id: p.id,
      name: p.name,
      local: false,
      moderator: p.moderator,
      audio: p.audio,
      video: p.video,
      screen: p.screen,
    })),
  ];

  const presenting = stageTiles.length > 0;
  const captionsShown = captions.enabled && captionPreferences.visible;
  const captionScale = CAPTION_TEXT_SCALES[captionPreferences.textSize] ?? 1;

  return (
    <div
      className={`meeting ${panel ? 'meeting--panel' : ''}`}
      style={{ '--caption-scale': captionScale } as CSSProperties}
    >
      {status === 'reconnecting' && (
        <div className="banner" data-testid="reconnecting" role="status">
          <span className="spinner" aria-hidden="true" />
          {t.reconnecting}
        </div>
      )}
      {status === 'connecting' && (
        <div className="banner banner--quiet" role="status">
          <span className="spinner" aria-hidden="true" />
          {t.connecting}
        </div>
      )}
      <h1 className="sr-only">{`Visio – ${slug}`}</h1>
      <div className="meeting__body">
        <main className={`stage ${presenting ? 'stage--presenting' : ''}`}>
          {presenting ? (
            <>
              <div className="stage__screens">
                {stageTiles.map((tile) => (
                  <Tile key={tile.key} tile={tile} />
                ))}
              </div>
              <div className="stage__strip">
                {gridTiles.map((tile) => (
                  <Tile key={tile.key} tile={tile} />
                ))}
              </div>
            </>
          ) : (
            <TileGrid tiles={gridTiles} />
          )}
          {participants.length === 0 && status !== 'reconnecting' && (
            <div className="alone-card">
              <p>{t.aloneInMeeting}</p>
              <CopyLinkButton slug={slug} className="button button--secondary-dark" />
            </div>
          )}
          <CaptionsIndicator captions={captions} />
          {captionsShown && <CaptionsOverlay lines={overlayLines} selfId={selfId} />}
        </main>
        {panel === 'participants' && <ParticipantsPanel id={panelId} rows={rows} onClose={() => setPanel(null)} />}
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
            onTextSize={(textSize) => updateCaptionPreferences({ textSize })}
            onSetCaptions={setCaptions}
            onClose={() => setPanel(null)}
          />
        )}
      </div>
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
        />
        <div className="meeting__spacer" />
      </footer>
      {toast && (
        <div className="toast" role="alert">
          <span>{errorText(toast, t)}</span>
          <button type="button" className="icon-button" aria-label={t.dismiss} onClick={() => setToast(null)}>
            <CloseIcon size={20} />
          </button>
        </div>
      )}
      <div className="sr-only" aria-live="polite" data-testid="announcements">
        {announcement}
      </div>
      <div hidden>
        {audios.map((audio) => (
          <RemoteAudio key={audio.participantId} participantId={audio.participantId} stream={audio.stream} speakerId={settings.speakerId} />
        ))}
      </div>
    </div>
  );
}

/** The camera tiles, as large as the space allows. */
function TileGrid({ tiles }: { tiles: TileModel[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setSize({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const gap = 12;
  const { cols, rows } = bestGrid(tiles.length, size.width, size.height);
  const tileWidth = Math.max(0, Math.min((size.width - gap * (cols - 1)) / cols, ((size.height - gap * (rows - 1)) / rows) * (16 / 9)));

  return (
    <div ref={ref} className="grid">
      <div className="grid__inner" style={{ gridTemplateColumns: `repeat(${cols}, ${Math.floor(tileWidth)}px)`, gap }}>
        {tiles.map((tile) => (
          <Tile key={tile.key} tile={tile} />
        ))}
      </div>
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
