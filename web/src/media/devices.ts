/** Capturing the camera and microphone, and listing devices. Plain TypeScript, no React. */

import { processCaptured } from './effects';

/** Why a capture failed, as the UI explains it (also the pre-join notice's `data-error-code`). */
export type MediaErrorCode = 'media_denied' | 'media_not_found' | 'media_in_use' | 'media_failed';

export interface CapturedMedia {
  microphone: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  /** Set when something asked for could not be captured. */
  error: MediaErrorCode | null;
}

export interface CaptureRequest {
  audio: boolean;
  video: boolean;
  microphoneId?: string | undefined;
  cameraId?: string | undefined;
}

/** Whether this browser can take part in a call at all. */
export function hasWebRTC(): boolean {
  return (
    typeof window !== 'undefined' &&
    typeof window.RTCPeerConnection === 'function' &&
    typeof navigator.mediaDevices?.getUserMedia === 'function'
  );
}

export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

export function microphoneConstraints(deviceId?: string): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
  };
}

export function cameraConstraints(deviceId?: string): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    width: { ideal: 1280 },
    height: { ideal: 720 },
    frameRate: { ideal: 30, max: 30 },
  };
}

export function classifyMediaError(error: unknown): MediaErrorCode {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return 'media_denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return 'media_not_found';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'media_in_use';
    default:
      return 'media_failed';
  }
}

async function captureTrack(kind: 'audio' | 'video', deviceId?: string): Promise<MediaStreamTrack> {
  const constraints = kind === 'audio' ? microphoneConstraints(deviceId) : cameraConstraints(deviceId);
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
  } catch (error) {
    // A remembered device may be gone: fall back to the default one.
    if (!deviceId || classifyMediaError(error) !== 'media_not_found') throw error;
    const fallback = kind === 'audio' ? microphoneConstraints() : cameraConstraints();
    stream = await navigator.mediaDevices.getUserMedia({ [kind]: fallback });
  }
  const track = stream.getTracks()[0];
  if (!track) throw new DOMException('No track', 'NotFoundError');
  return processCaptured(track);
}

export const captureMicrophone = (deviceId?: string) => captureTrack('audio', deviceId);
export const captureCamera = (deviceId?: string) => captureTrack('video', deviceId);

/**
 * Captures what is asked for with one permission prompt when possible. When both are asked and
 * that fails for another reason than a refusal, each is tried alone so that a missing camera does
 * not also cost the microphone.
 */
export async function captureLocalMedia(request: CaptureRequest): Promise<CapturedMedia> {
  if (!request.audio && !request.video) return { microphone: null, camera: null, error: null };
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: request.audio ? microphoneConstraints(request.microphoneId) : false,
      video: request.video ? cameraConstraints(request.cameraId) : false,
    });
    const [microphone, camera] = await Promise.all(
      [stream.getAudioTracks()[0], stream.getVideoTracks()[0]].map((track) => (track ? processCaptured(track) : null)),
    );
    return { microphone: microphone ?? null, camera: camera ?? null, error: null };
  } catch (error) {
    const code = classifyMediaError(error);
    if (code === 'media_denied' || !(request.audio && request.video)) {
      if (!(request.audio && request.video) && code !== 'media_denied') {
        // One device asked: try the default one in case a remembered device is gone.
        try {
          const track = await captureTrack(request.audio ? 'audio' : 'video');
          return request.audio
            ? { microphone: track, camera: null, error: null }
            : { microphone: null, camera: track, error: null };
        } catch {
          // Report the first error below.
        }
      }
      return { microphone: null, camera: null, error: code };
    }
    const [microphone, camera] = await Promise.allSettled([
      captureTrack('audio', request.microphoneId),
      captureTrack('video', request.cameraId),
    ]);
    const failure = [microphone, camera].find((result) => result.status === 'rejected');
    return {
      microphone: microphone.status === 'fulfilled' ? microphone.value : null,
      camera: camera.status === 'fulfilled' ? camera.value : null,
      error: failure ? classifyMediaError(failure.reason) : null,
    };
  }
}

export interface DeviceLists {
  microphones: MediaDeviceInfo[];
  cameras: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

/** The devices of each kind (labels are empty until a capture has been allowed). */
export async function listDevices(): Promise<DeviceLists> {
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
  const real = (device: MediaDeviceInfo) => device.deviceId !== '' && device.deviceId !== 'communications';
  return {
    microphones: devices.filter((d) => d.kind === 'audioinput' && real(d)),
    cameras: devices.filter((d) => d.kind === 'videoinput' && real(d)),
    speakers: devices.filter((d) => d.kind === 'audiooutput' && real(d)),
  };
}
