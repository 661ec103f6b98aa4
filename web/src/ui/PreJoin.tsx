import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import type { RoomInfo } from '../api/rooms';
import { PrejoinRecordingNotice } from '../recording/RecordingStatus';
import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import {
  canChooseSpeaker,
  captureCamera,
  captureLocalMedia,
  captureMicrophone,
  classifyMediaError,
  listDevices,
  type DeviceLists,
  type MediaErrorCode,
} from '../media/devices';
import type { EmbedJoinRequest } from '../embed/bridge';
import { EmbedSignInNote, useEmbed } from '../embed/EmbedProvider';
import { useAuth } from './AuthProvider';
import { Avatar } from './Avatar';
import { CopyLinkButton } from './CopyLinkButton';
import { EffectsChoice } from './EffectsChoice';
import { CameraIcon, CameraOffIcon, MicIcon, MicOffIcon, WarningIcon } from './icons';
import {
  loadDevicePreferences,
  loadName,
  saveDevicePreferences,
  saveName,
  type DevicePreferences,
} from './preferences';
import { TrackVideo } from './TrackVideo';
import { useAudioLevel } from './useAudioLevel';
import { PreJoinTranscriptNotice } from '../transcripts/MeetingTranscript';
import { TopBar } from './TopBar';
import { ConnectionTest } from '../connectionTest/ConnectionTest';

export const MAX_NAME_LENGTH = 64;

export interface JoinSettings extends DevicePreferences {
  name: string;
  audio: boolean;
  video: boolean;
  /** Several people use this microphone (a meeting room): the transcript tells their voices apart. */
  sharedDevice?: boolean;
}

/** Tracks captured so far; those still being captured arrive through `pending`. */
export interface HandedOverMedia {
  microphone: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  pending: Promise<Partial<Record<'microphone' | 'camera', MediaStreamTrack | null>>[]> | null;
}

interface PreJoinProps {
  slug: string;
  room: RoomInfo;
  onJoin: (settings: JoinSettings, media: HandedOverMedia) => void;
  /** The embedding page's `join` (docs/embedding.md): the name to fill in, and whether to join at once. */
  embedJoin?: EmbedJoinRequest | null;
}

type Captured = Partial<Record<'microphone' | 'camera', MediaStreamTrack | null>>;

function mediaNotice(code: MediaErrorCode, t: Messages): { title: string; text: string } {
  switch (code) {
    case 'media_denied':
      return { title: t.mediaDeniedTitle, text: t.mediaDeniedText };
    case 'media_not_found':
      return { title: t.mediaNotFoundTitle, text: t.mediaNotFoundText };
    case 'media_in_use':
    case 'media_failed':
      return { title: t.mediaInUseTitle, text: t.mediaInUseText };
  }
}

/** Removes control characters, which the server refuses in names. */
const cleanName = (value: string) => value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');

export function PreJoin({ slug, room, onJoin, embedJoin = null }: PreJoinProps) {
  const { t } = useI18n();
  const { me } = useAuth();
  const [name, setName] = useState(() => me?.user.full_name || loadName());
  const nameTouched = useRef(false);
  const [nameError, setNameError] = useState<string | null>(null);
  const [audio, setAudio] = useState(true);
  const [video, setVideo] = useState(true);
  const [sharedDevice, setSharedDevice] = useState(false);
  const [devices, setDevices] = useState<DeviceLists>({ microphones: [], cameras: [], speakers: [] });
  const [preferences, setPreferences] = useState<DevicePreferences>(() => loadDevicePreferences());
  const [microphone, setMicrophone] = useState<MediaStreamTrack | null>(null);
  const [camera, setCamera] = useState<MediaStreamTrack | null>(null);
  const [cameraStarting, setCameraStarting] = useState(true);
  const [mediaError, setMediaError] = useState<MediaErrorCode | null>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const tracks = useRef<{ microphone: MediaStreamTrack | null; camera: MediaStreamTrack | null }>({
    microphone: null,
    camera: null,
  });
  const inflight = useRef(new Set<Promise<Captured>>());
  const handedOver = useRef(false);
  const ids = {
    name: useId(),
    mic: useId(),
    cam: useId(),
    speaker: useId(),
    nameHelp: useId(),
    shared: useId(),
    sharedHelp: useId(),
  };

  /** Runs a capture; its tracks replace the current ones, unless they were handed over to the meeting meanwhile. */
  const capture = (run: () => Promise<Captured>) => {
    const promise = run();
    inflight.current.add(promise);
    void promise
      .then((captured) => {
        if (handedOver.current) return;
        for (const kind of ['microphone', 'camera'] as const) {
          if (!(kind in captured)) continue;
          const track = captured[kind] ?? null;
          tracks.current[kind]?.stop();
          tracks.current[kind] = track;
          if (kind === 'microphone') setMicrophone(track);
          else setCamera(track);
        }
      })
      .finally(() => {
        inflight.current.delete(promise);
        if (!handedOver.current) setCameraStarting(false);
      });
    return promise;
  };

  useEffect(() => {
    document.title = `${slug} – Visio`;
    const prefs = loadDevicePreferences();
    capture(async () => {
      const result = await captureLocalMedia({
        audio: true,
        video: true,
        microphoneId: prefs.microphoneId,
        cameraId: prefs.cameraId,
      });
      setMediaError(result.error);
      // What could not be captured starts off, so that others are told the truth.
      if (!result.microphone) setAudio(false);
      if (!result.camera) setVideo(false);
      setDevices(await listDevices());
      return { microphone: result.microphone, camera: result.camera };
    });
    const refresh = () => void listDevices().then(setDevices);
    navigator.mediaDevices.addEventListener?.('devicechange', refresh);
    return () => {
      navigator.mediaDevices.removeEventListener?.('devicechange', refresh);
      if (!handedOver.current) {
        handedOver.current = true; // Late captures stop their tracks too.
        tracks.current.microphone?.stop();
        tracks.current.camera?.stop();
        for (const promise of inflight.current) {
          void promise.then((captured) => {
            captured.microphone?.stop();
            captured.camera?.stop();
          });
        }
      }
    };
    // Capture once, on arrival.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    if (microphone) microphone.enabled = audio;
  }, [microphone, audio]);

  const level = useAudioLevel(audio ? microphone : null);
  const previewStream = useMemo(() => (camera ? new MediaStream([camera]) : null), [camera]);

  const toggleCamera = () => {
    const next = !video;
    setVideo(next);
    if (!next) {
      // Stop the track: the camera light goes off.
      tracks.current.camera?.stop();
      tracks.current.camera = null;
      setCamera(null);
      return;
    }
    setCameraStarting(true);
    capture(() =>
      captureCamera(preferences.cameraId).then(
        (track) => ({ camera: track }),
        (error: unknown) => {
          setMediaError(classifyMediaError(error));
          setVideo(false);
          return {};
        },
      ),
    );
  };

  const toggleMicrophone = () => {
    const next = !audio;
    setAudio(next);
    if (next && !tracks.current.microphone) {
      capture(() =>
        captureMicrophone(preferences.microphoneId).then(
          (track) => ({ microphone: track }),
          (error: unknown) => {
            setMediaError(classifyMediaError(error));
            setAudio(false);
            return {};
          },
        ),
      );
    }
  };

  const choose = (kind: keyof DevicePreferences, deviceId: string) => {
    const next = { ...preferences, [kind]: deviceId || undefined };
    setPreferences(next);
    saveDevicePreferences(next);
    if (kind === 'microphoneId') {
      capture(() => captureMicrophone(deviceId || undefined).then((track) => ({ microphone: track })));
    } else if (kind === 'cameraId' && video) {
      setCameraStarting(true);
      capture(() => captureCamera(deviceId || undefined).then((track) => ({ camera: track })));
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    joinAs(name);
  };

  const joinAs = (typed: string) => {
    if (handedOver.current) return; // joining already: the meeting's screen is on its way
    performance.mark('visio:join-clicked');
    const trimmed = typed.trim();
    if (!trimmed) {
      setNameError(t.nameRequired);
      nameInput.current?.focus();
      return;
    }
    if ([...trimmed].length > MAX_NAME_LENGTH) {
      setNameError(t.nameTooLong);
      nameInput.current?.focus();
      return;
    }
    saveName(trimmed);
    handedOver.current = true;
    const pending = inflight.current.size > 0 ? Promise.all([...inflight.current]) : null;
    onJoin(
      { name: trimmed, audio, video, sharedDevice, ...preferences },
      { microphone: tracks.current.microphone, camera: video ? tracks.current.camera : null, pending },
    );
  };

  // The embedding page's name wins over the remembered one; it joins at once if it asked and the
  // first capture went through (otherwise the person sees why here, and so does the embedder).
  const embed = useEmbed();
  const [autoJoin, setAutoJoin] = useState<string | null>(null);
  useEffect(() => {
    if (!embedJoin) return;
    nameTouched.current = true;
    setName(embedJoin.displayName);
    setNameError(null);
    if (embedJoin.skipPreJoin) setAutoJoin(embedJoin.displayName);
  }, [embedJoin]);
  useEffect(() => {
    if (autoJoin === null || cameraStarting) return;
    setAutoJoin(null);
    if (mediaError) {
      embed?.post({ type: 'error', code: 'devices_unavailable', message: `${mediaError}: join from the pre-join screen` });
      return;
    }
    joinAs(autoJoin);
    // joinAs reads this render's state, which is what the effect should act on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [autoJoin, cameraStarting, mediaError]);

  // Signed-in people join under their own name (once known), unless they already typed one.
  useEffect(() => {
    if (me && !nameTouched.current) setName(cleanName(me.user.full_name));
  }, [me]);

  const notice = mediaError ? mediaNotice(mediaError, t) : null;
  // Shown even before the devices are listed: a control appearing later would move the form.
  const showSpeakers = canChooseSpeaker();

  return (
    <div className="page page--light prejoin">
      <TopBar />
      <main className="prejoin__main">
        <section className="prejoin__preview">
          <div className="preview">
            {/* The picture is an image to assistive technology; the buttons over it stay buttons. */}
            <div className="preview__picture" role="img" aria-label={t.previewLabel}>
              {previewStream && video ? (
                <TrackVideo stream={previewStream} mirrored />
              ) : (
                <div className="preview__off">
                  {name.trim() ? <Avatar name={name} /> : null}
                  <span>{video && cameraStarting ? t.cameraStarting : t.cameraOffPreview}</span>
                </div>
              )}
            </div>
            <div className="preview__controls">
              <button
                type="button"
                className={`round-button ${audio ? '' : 'round-button--off'}`}
                aria-label={t.microphone}
                aria-pressed={audio}
                title={audio ? t.turnOffMic : t.turnOnMic}
                onClick={toggleMicrophone}
                data-testid="prejoin-toggle-mic"
              >
                {audio ? <MicIcon /> : <MicOffIcon />}
              </button>
              <button
                type="button"
                className={`round-button ${video ? '' : 'round-button--off'}`}
                aria-label={t.camera}
                aria-pressed={video}
                title={video ? t.turnOffCamera : t.turnOnCamera}
                onClick={toggleCamera}
                data-testid="prejoin-toggle-camera"
              >
                {video ? <CameraIcon /> : <CameraOffIcon />}
              </button>
            </div>
          </div>
          <div className="meter" role="meter" aria-label={t.micLevel} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(level * 100)}>
            {Array.from({ length: 12 }, (_, index) => (
              <span key={index} className={`meter__bar ${level * 12 > index ? 'meter__bar--on' : ''}`} />
            ))}
          </div>
        </section>
        <section className="prejoin__panel" aria-labelledby="prejoin-title">
          <h1 id="prejoin-title">{t.preJoinTitle}</h1>
          <PrejoinRecordingNotice recording={Boolean(room.recording)} />
          <p className="prejoin__count">{t.participantsInRoom(room.participant_count)}</p>
          <PreJoinTranscriptNotice transcribing={room.transcribing} />
          <div className="code-row">
            <span className="code-row__label">{t.meetingCode}</span>
            <span className="code-row__code" data-testid="room-code">
              {slug}
            </span>
            <CopyLinkButton slug={slug} />
          </div>
          {notice && (
            // Two hooks for tests: `media-denied` (or `media-not-found`, `media-in-use`), and the
            // `error-page` code that the whole-page errors carry.
            <div className="notice" role="alert" data-testid={mediaError?.replace(/_/g, '-')}>
              <WarningIcon className="notice__icon" />
              <div data-testid="error-page" data-error-code={mediaError ?? ''}>
                <p className="notice__title">{notice.title}</p>
                <p>{notice.text}</p>
              </div>
            </div>
          )}
          <form className="prejoin__form" onSubmit={submit} noValidate>
            <label htmlFor={ids.name} className="field-label">
              {t.nameLabel}
            </label>
            <input
              ref={nameInput}
              id={ids.name}
              data-testid="name-input"
              className="input input--boxed"
              value={name}
              onChange={(event) => {
                nameTouched.current = true;
                setName(cleanName(event.target.value));
                setNameError(null);
              }}
              placeholder={t.namePlaceholder}
              maxLength={MAX_NAME_LENGTH}
              autoComplete="name"
              required
              aria-required="true"
              aria-invalid={nameError ? true : undefined}
              aria-describedby={nameError ? ids.nameHelp : undefined}
            />
            {nameError && (
              <p id={ids.nameHelp} className="form-error" role="alert">
                {nameError}
              </p>
            )}
            <label className="effects__choice" htmlFor={ids.shared}>
              <input
                id={ids.shared}
                type="checkbox"
                checked={sharedDevice}
                onChange={(event) => setSharedDevice(event.target.checked)}
                aria-describedby={ids.sharedHelp}
                data-testid="shared-device"
              />
              {t.sharedDevice}
            </label>
            <p id={ids.sharedHelp} className="field-hint">
              {t.sharedDeviceHint}
            </p>
            <button type="submit" className="button button--primary button--large button--block" data-testid="join">
              {t.joinMeeting}
            </button>
          </form>
          <EmbedSignInNote slug={slug} />
        </section>
        <section className="prejoin__devices">
        <div className="devices">
          <label className="device" htmlFor={ids.mic}>
            <span className="device__label">{t.microphone}</span>
            <select
              id={ids.mic}
              className="select"
              value={preferences.microphoneId ?? ''}
              onChange={(event) => choose('microphoneId', event.target.value)}
            >
              <option value="">{t.defaultDevice}</option>
              {devices.microphones.map((device, index) => (
                <option key={device.deviceId} value={device.deviceId}>
                  {device.label || `${t.microphone} ${index + 1}`}
                </option>
              ))}
            </select>
          </label>
          <label className="device" htmlFor={ids.cam}>
            <span className="device__label">{t.camera}</span>
            <select
              id={ids.cam}
              className="select"
              value={preferences.cameraId ?? ''}
              onChange={(event) => choose('cameraId', event.target.value)}
            >
              <option value="">{t.defaultDevice}</option>
              {devices.cameras.map((device, index) => (
                <option key={device.deviceId} value={device.deviceId}>
                  {device.label || `${t.camera} ${index + 1}`}
                </option>
              ))}
            </select>
          </label>
          {showSpeakers && (
            <label className="device" htmlFor={ids.speaker}>
              <span className="device__label">{t.speaker}</span>
              <select
                id={ids.speaker}
                className="select"
                value={preferences.speakerId ?? ''}
                onChange={(event) => choose('speakerId', event.target.value)}
              >
                <option value="">{t.defaultDevice}</option>
                {devices.speakers.map((device, index) => (
                  <option key={device.deviceId} value={device.deviceId}>
                    {device.label || `${t.speaker} ${index + 1}`}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        <EffectsChoice
          testIdPrefix=""
          errorClassName="form-error"
          onChanged={(kind) => {
            if (kind === 'microphone' && tracks.current.microphone) {
              capture(() => captureMicrophone(preferences.microphoneId).then((track) => ({ microphone: track })));
            } else if (kind === 'camera' && video) {
              setCameraStarting(true);
              capture(() => captureCamera(preferences.cameraId).then((track) => ({ camera: track })));
            }
          }}
        />
        <ConnectionTest slug={slug} />
        </section>
      </main>
    </div>
  );
}
