import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { lookUpRoom, type RoomInfo, type RoomLookup } from '../api/rooms';
import { captureCamera, captureLocalMedia, captureMicrophone, hasWebRTC } from '../media/devices';
import { RoomSession } from '../room/session';
import { roomSocketUrl, SignalingChannel } from '../room/signaling';
import { ConnectionQualityProvider } from './ConnectionQuality';
import { ErrorPage } from './ErrorPage';
import { LeftPage } from './LeftPage';
import { MeetingRoom } from './MeetingRoom';
import { LoadingPage } from './onDemand';
import { PreJoin, type HandedOverMedia, type JoinSettings } from './PreJoin';
import { loadDevicePreferences } from './preferences';
import { useEmbeddedRoom } from '../embed/EmbedProvider';

/**
 * What the page shows. Before joining it follows the room lookup (`lookup`): pre-join or the lookup's
 * error once it has settled, "Loading…" until then.
 */
type Phase =
  | { kind: 'lookup' }
  | { kind: 'error'; code: string }
  | { kind: 'meeting'; session: RoomSession; settings: JoinSettings }
  | { kind: 'left'; settings: JoinSettings };

/** What is on screen: `Phase` with the lookup resolved. */
type Screen =
  | { kind: 'checking' }
  | { kind: 'error'; code: string }
  | { kind: 'prejoin'; room: RoomInfo }
  | Exclude<Phase, { kind: 'lookup' | 'error' }>;

interface RoomPageProps {
  slug: string;
  /** The room lookup main.tsx started before the first render, with its result if it came in time
   * (read once, for the first render; the page follows `lookup` itself). */
  prefetched?:
    | { lookup: Promise<RoomLookup>; result?: RoomLookup; socket?: SignalingChannel | undefined }
    | undefined;
}

/**
 * Ends offered no "Try again": the room does not exist, or a moderator took the person out or ended
 * the meeting (never rejoined by itself). A locked room offers it: it goes back to the pre-join
 * screen, for when a moderator has unlocked it.
 */
const NO_RETRY: ReadonlySet<string> = new Set(['room_not_found', 'invalid_room_link', 'removed', 'meeting_ended']);

function screenOfLookup(result: RoomLookup): Screen {
  if (result.ok) return { kind: 'prejoin', room: result.room };
  // A 404 without the API's error body still means "no such meeting"; other HTTP errors read as network trouble.
  const code = result.code === 'http_404' ? 'room_not_found' : result.code.startsWith('http_') ? 'network' : result.code;
  return { kind: 'error', code };
}

/** One meeting link: looks the room up, then pre-join, the meeting, and the "you left" screen. */
export function RoomPage({ slug, prefetched }: RoomPageProps) {
  const [phase, setPhase] = useState<Phase>({ kind: 'lookup' });
  /** The latest lookup's outcome, null while it runs. The early result only spares a first "Loading…". */
  const [lookupResult, setLookupResult] = useState<RoomLookup | null>(prefetched?.result ?? null);
  const [attempt, setAttempt] = useState(0);
  const current = useRef<RoomSession | null>(null);
  /** The room's WebSocket, opened before joining (at page load) so that "Join" does not wait for it. */
  const earlySocket = useRef<SignalingChannel | null>(prefetched?.socket ?? null);
  const prefetch = useRef(prefetched);
  /** The room-level invitation in the link, kept in memory (rejoins need it) and taken out of
   * the address bar so that it is not shared or bookmarked by accident. */
  const invitation = useRef<string | null>(null);
  if (invitation.current === null) {
    const query = new URLSearchParams(window.location.search);
    invitation.current = query.get('invitation');
    if (invitation.current) {
      query.delete('invitation');
      const rest = query.toString();
      window.history.replaceState(null, '', window.location.pathname + (rest ? `?${rest}` : ''));
    }
  }
  const webrtc = hasWebRTC();

  // The page always waits on the lookup's promise, even when main.tsx already had its result: a
  // result read once at first render can miss one that lands before this effect runs. Each lookup
  // settles (with `timeout` at worst), so "Loading…" always ends.
  useEffect(() => {
    if (!webrtc) return;
    const early = prefetch.current;
    prefetch.current = undefined;
    let cancelled = false;
    void (early?.lookup ?? lookUpRoom(slug)).then((result) => {
      if (!cancelled) setLookupResult(result);
    });
    return () => {
      cancelled = true;
    };
  }, [slug, webrtc, attempt]);

  const retryLookup = useCallback(() => {
    setLookupResult(null);
    setPhase({ kind: 'lookup' });
    setAttempt((n) => n + 1);
  }, []);

  const screen: Screen =
    phase.kind !== 'lookup' ? phase : lookupResult ? screenOfLookup(lookupResult) : { kind: 'checking' };

  useEffect(() => {
    if (screen.kind === 'error') {
      earlySocket.current?.close();
      earlySocket.current = null;
    }
    if (screen.kind !== 'prejoin' || earlySocket.current) return;
    const channel = new SignalingChannel(roomSocketUrl(slug));
    channel.connect();
    earlySocket.current = channel;
  }, [screen.kind, slug]);

  // Leaving the page (back button, another room) leaves the meeting.
  useEffect(
    () => () => {
      earlySocket.current?.close();
      earlySocket.current = null;
      current.current?.leave();
      current.current = null;
      window.visio.session = null;
    },
    [],
  );

  const join = useCallback(
    (settings: JoinSettings, media: HandedOverMedia) => {
      const signaling = earlySocket.current ?? undefined;
      earlySocket.current = null;
      const session = new RoomSession({
        url: roomSocketUrl(slug),
        invitation: invitation.current,
        signaling,
        name: settings.name,
        audio: settings.audio,
        video: settings.video,
        sharedDevice: settings.sharedDevice ?? false,
        microphoneTrack: media.microphone,
        cameraTrack: media.camera,
        // The devices chosen last, in the pre-join screen or in the meeting's settings.
        acquireCamera: () => captureCamera(loadDevicePreferences().cameraId ?? settings.cameraId),
        acquireMicrophone: () => captureMicrophone(loadDevicePreferences().microphoneId ?? settings.microphoneId),
      });
      session.on('error', (error) => {
        if (!error.fatal || current.current !== session) return;
        current.current = null;
        window.visio.session = null;
        setPhase({ kind: 'error', code: error.code });
      });
      current.current = session;
      window.visio.session = session;
      session.start();
      void media.pending?.then((results) => {
        for (const captured of results) {
          if (captured.microphone) session.setMicrophoneTrack(captured.microphone);
          if (captured.camera) session.setCameraTrack(captured.camera);
        }
      });
      setPhase({ kind: 'meeting', session, settings });
    },
    [slug],
  );

  const leave = useCallback((settings: JoinSettings) => {
    current.current?.leave();
    current.current = null;
    window.visio.session = null;
    setPhase({ kind: 'left', settings });
  }, []);

  const rejoin = useCallback(
    (settings: JoinSettings) => {
      // Join at once; the camera and microphone follow as soon as they are captured.
      const pending = captureLocalMedia({
        audio: true,
        video: settings.video,
        microphoneId: settings.microphoneId,
        cameraId: settings.cameraId,
      }).then((captured) => [{ microphone: captured.microphone, camera: captured.camera }]);
      join(settings, { microphone: null, camera: null, pending });
    },
    [join],
  );

  const embedJoin = useEmbeddedRoom({
    session: phase.kind === 'meeting' ? phase.session : null,
    leave: useCallback(() => {
      if (phase.kind === 'meeting') leave(phase.settings);
    }, [phase, leave]),
    rejoin: useMemo(
      () => (phase.kind === 'left' ? (name: string) => rejoin({ ...phase.settings, name }) : null),
      [phase, rejoin],
    ),
  });

  if (!webrtc) return <ErrorPage code="no_webrtc" />;

  switch (screen.kind) {
    case 'checking':
      return <LoadingPage />;
    case 'error':
      return (
        <ErrorPage
          code={screen.code}
          onRetry={
            screen.code === 'unsupported_version'
              ? () => window.location.reload()
              : NO_RETRY.has(screen.code)
                ? undefined
                : retryLookup
          }
        />
      );
    case 'prejoin':
      return <PreJoin slug={slug} room={screen.room} onJoin={join} embedJoin={embedJoin} />;
    case 'meeting':
      return (
        <ConnectionQualityProvider session={screen.session}>
          <MeetingRoom
            slug={slug}
            session={screen.session}
            settings={screen.settings}
            onLeave={() => leave(screen.settings)}
          />
        </ConnectionQualityProvider>
      );
    case 'left':
      return <LeftPage onRejoin={() => rejoin(screen.settings)} />;
  }
}
