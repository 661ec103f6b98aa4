import { useCallback, useEffect, useRef, useState } from 'react';
import { deviceGone, deviceIdOf, fallbackDevice } from '../media/deviceFallback';
import { captureCamera, captureMicrophone, listDevices, type DeviceLists } from '../media/devices';
import type { LocalMediaState, RoomSession } from '../room/session';
import { loadDevicePreferences, saveDevicePreferences, type DevicePreferences } from './preferences';

/** A device in use went away and the meeting switched to another (or to none). */
export interface DeviceLost {
  kind: 'microphone' | 'camera';
  /** The label of the device that went away ('' when the browser gave none). */
  lost: string;
  /** The label of the device now used, or null when none of that kind is left. */
  now: string | null;
}

export interface MeetingDevices {
  devices: DeviceLists;
  microphoneId: string | null;
  cameraId: string | null;
  speakerId: string | undefined;
  chooseMicrophone: (deviceId: string) => Promise<void>;
  chooseCamera: (deviceId: string) => Promise<void>;
  chooseSpeaker: (deviceId: string) => void;
  lost: DeviceLost | null;
  dismissLost: () => void;
  /** A switch failed (the device is busy or gone): the dialog says so. */
  failed: 'microphone' | 'camera' | null;
}

const NO_DEVICES: DeviceLists = { microphones: [], cameras: [], speakers: [] };

function remember(change: Partial<DevicePreferences>): void {
  saveDevicePreferences({ ...loadDevicePreferences(), ...change });
}

/**
 * The microphone, camera and speaker during the meeting: the lists (kept fresh on `devicechange`),
 * switching without leaving (the new track replaces the old one on the publisher's sender, no
 * renegotiation), and what to do when the device in use goes away: switch to the system default or
 * the first one left, and say so.
 */
export function useMeetingDevices(session: RoomSession, local: LocalMediaState, initialSpeakerId: string | undefined): MeetingDevices {
  const [devices, setDevices] = useState<DeviceLists>(NO_DEVICES);
  const [speakerId, setSpeakerId] = useState(initialSpeakerId);
  const [lost, setLost] = useState<DeviceLost | null>(null);
  const [failed, setFailed] = useState<'microphone' | 'camera' | null>(null);
  const listed = useRef<DeviceLists>(NO_DEVICES);
  const localRef = useRef(local);
  localRef.current = local;

  const microphoneId = deviceIdOf(local.microphoneTrack);
  const cameraId = deviceIdOf(local.cameraTrack);

  const chooseMicrophone = useCallback(
    async (deviceId: string) => {
      setFailed(null);
      try {
        session.setMicrophoneTrack(await captureMicrophone(deviceId));
        remember({ microphoneId: deviceId });
      } catch (error) {
        console.warn('visio: cannot switch the microphone', error);
        setFailed('microphone');
      }
    },
    [session],
  );

  const chooseCamera = useCallback(
    async (deviceId: string) => {
      setFailed(null);
      remember({ cameraId: deviceId });
      if (!localRef.current.video) return; // Used when the camera is turned on.
      try {
        session.setCameraTrack(await captureCamera(deviceId));
      } catch (error) {
        console.warn('visio: cannot switch the camera', error);
        setFailed('camera');
      }
    },
    [session],
  );

  const chooseSpeaker = useCallback((deviceId: string) => {
    setSpeakerId(deviceId);
    remember({ speakerId: deviceId });
  }, []);

  useEffect(() => {
    const mediaDevices = navigator.mediaDevices;
    if (!mediaDevices) return;
    let cancelled = false;
    const refresh = async () => {
      const next = await listDevices();
      if (cancelled) return;
      const before = listed.current;
      listed.current = next;
      setDevices(next);
      const { microphoneTrack, cameraTrack } = localRef.current;
      for (const [kind, track, was, now] of [
        ['microphone', microphoneTrack, before.microphones, next.microphones],
        ['camera', cameraTrack, before.cameras, next.cameras],
      ] as const) {
        const inUse = track ? (track.getSettings().deviceId ?? null) : null;
        const ended = track !== null && track.readyState === 'ended';
        if (!ended && !deviceGone(inUse, was, now)) continue;
        const lostLabel = was.find((device) => device.deviceId === inUse)?.label ?? track?.label ?? '';
        const replacement = fallbackDevice(inUse, now) ?? (ended ? (now[0] ?? null) : null);
        setLost({ kind, lost: lostLabel, now: replacement?.label ?? null });
        if (!replacement) {
          if (kind === 'microphone') session.setMicrophoneTrack(null);
          else session.setCameraEnabled(false);
          continue;
        }
        try {
          const fresh = await (kind === 'microphone' ? captureMicrophone : captureCamera)(replacement.deviceId);
          if (cancelled) {
            fresh.stop();
            return;
          }
          if (kind === 'microphone') session.setMicrophoneTrack(fresh);
          else session.setCameraTrack(fresh);
        } catch (error) {
          console.warn(`visio: cannot switch to another ${kind}`, error);
          setLost({ kind, lost: lostLabel, now: null });
        }
      }
    };
    void refresh();
    mediaDevices.addEventListener('devicechange', refresh);
    return () => {
      cancelled = true;
      mediaDevices.removeEventListener('devicechange', refresh);
    };
  }, [session]);

  // An unplugged device also ends its track: look again at what is there.
  useEffect(() => {
    const tracks = [local.microphoneTrack, local.cameraTrack].filter((track): track is MediaStreamTrack => track !== null);
    const onEnded = () => navigator.mediaDevices?.dispatchEvent(new Event('devicechange'));
    tracks.forEach((track) => track.addEventListener('ended', onEnded));
    return () => tracks.forEach((track) => track.removeEventListener('ended', onEnded));
  }, [local.microphoneTrack, local.cameraTrack]);

  return {
    devices,
    microphoneId,
    cameraId,
    speakerId,
    chooseMicrophone,
    chooseCamera,
    chooseSpeaker,
    lost,
    dismissLost: () => setLost(null),
    failed,
  };
}
