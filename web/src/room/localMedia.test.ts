import { describe, expect, it, vi } from 'vitest';
import { LocalMedia, type LocalMediaHooks } from './localMedia';

/** A stand-in for a captured track: only what LocalMedia touches. */
function fakeTrack(name: string) {
  const track = {
    name,
    enabled: true,
    stopped: false,
    stop: () => {
      track.stopped = true;
    },
  };
  return track as unknown as MediaStreamTrack & { stopped: boolean };
}

function hooks(): LocalMediaHooks & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    sender: () => null,
    toggled: () => calls.push('toggled'),
    changed: () => calls.push('changed'),
    failed: (code) => calls.push(`failed:${code}`),
    screenEnded: () => calls.push('screenEnded'),
  };
}

/** A capture that resolves (or fails) when the test says. */
function pendingCapture() {
  let resolve!: (track: MediaStreamTrack) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<MediaStreamTrack>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const options = (extra = {}) => ({
  audio: true,
  video: true,
  acquireCamera: () => Promise.reject(new Error('no camera')),
  acquireMicrophone: () => Promise.reject(new Error('no microphone')),
  ...extra,
});

describe('LocalMedia', () => {
  it('mutes by disabling the microphone track, and says so', () => {
    const microphone = fakeTrack('mic');
    const events = hooks();
    const media = new LocalMedia(options({ microphoneTrack: microphone }), events);
    media.setMicrophoneEnabled(false);
    expect(microphone.enabled).toBe(false);
    expect(microphone.stopped).toBe(false);
    expect(media.state.audio).toBe(false);
    expect(events.calls).toEqual(['toggled', 'changed']);
  });

  it('stops the camera track when the camera is turned off, and stops a camera handed over while off', () => {
    const camera = fakeTrack('camera');
    const media = new LocalMedia(options({ cameraTrack: camera }), hooks());
    media.setCameraEnabled(false);
    expect(camera.stopped).toBe(true);
    expect(media.state.cameraTrack).toBeNull();
    const late = fakeTrack('late');
    media.setCameraTrack(late);
    expect(late.stopped).toBe(true);
    expect(media.state.cameraTrack).toBeNull();
  });

  it('keeps only the newest camera capture when the camera is toggled quickly', async () => {
    const first = pendingCapture();
    const second = pendingCapture();
    const captures = [first, second];
    const media = new LocalMedia(
      options({ video: false, acquireCamera: vi.fn(() => captures.shift()!.promise) }),
      hooks(),
    );
    media.setCameraEnabled(true);
    media.setCameraEnabled(false);
    media.setCameraEnabled(true);
    const stale = fakeTrack('stale');
    const fresh = fakeTrack('fresh');
    first.resolve(stale);
    second.resolve(fresh);
    await Promise.resolve();
    await Promise.resolve();
    expect(stale.stopped).toBe(true);
    expect(media.state.cameraTrack).toBe(fresh);
  });

  it('turns the camera back off and reports it when capturing fails', async () => {
    const events = hooks();
    const media = new LocalMedia(options({ video: false }), events);
    media.setCameraEnabled(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(media.state.video).toBe(false);
    expect(events.calls).toEqual(['toggled', 'changed', 'toggled', 'changed', 'failed:camera_failed']);
  });

  it('stops every track on stop(), and a capture that lands later', async () => {
    const microphone = fakeTrack('mic');
    const camera = fakeTrack('camera');
    const capture = pendingCapture();
    const media = new LocalMedia(
      options({ audio: false, microphoneTrack: null, cameraTrack: camera, acquireMicrophone: () => capture.promise }),
      hooks(),
    );
    media.setMicrophoneEnabled(true);
    media.stop();
    expect(camera.stopped).toBe(true);
    capture.resolve(microphone);
    await Promise.resolve();
    await Promise.resolve();
    expect(microphone.stopped).toBe(true);
    expect(media.state).toMatchObject({ microphoneTrack: null, cameraTrack: null, screenTrack: null });
  });
});
