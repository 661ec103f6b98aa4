export interface LocalMediaState {
  /** Microphone unmuted. */
  audio: boolean;
  /** Camera on. */
  video: boolean;
  microphoneTrack: MediaStreamTrack | null;
  cameraTrack: MediaStreamTrack | null;
  /** The screen being shared, if any. */
  screenTrack: MediaStreamTrack | null;
}

export interface LocalMediaOptions {
  /** Initial microphone and camera states. */
  audio: boolean;
  video: boolean;
  /** Tracks already captured (by the pre-join screen); owned and stopped here from now on. */
  microphoneTrack?: MediaStreamTrack | null | undefined;
  cameraTrack?: MediaStreamTrack | null | undefined;
  /** Captures a camera track when the camera is turned back on. */
  acquireCamera: () => Promise<MediaStreamTrack>;
  /** Captures a microphone track when unmuting without one. */
  acquireMicrophone: () => Promise<MediaStreamTrack>;
  /** Captures the screen; defaults to getDisplayMedia. */
  acquireScreen?: (() => Promise<MediaStreamTrack>) | undefined;
}

/** What the owner of the local media does when it changes. */
export interface LocalMediaHooks {
  /** The sender that carries the microphone or the camera now, if any. */
  sender: (source: 'microphone' | 'camera') => RTCRtpSender | null;
  /** The microphone or camera was turned on or off: tell the room. */
  toggled: () => void;
  /** Anything in `state` changed. */
  changed: () => void;
  /** Capturing failed (`microphone_failed`, `camera_failed`, `screen_failed`). */
  failed: (code: string, error: unknown) => void;
  /** The person stopped sharing from the browser's own bar. */
  screenEnded: () => void;
}

/**
 * This person's microphone, camera and screen: whether each is on, and the tracks. Turning the
 * camera off stops its track (the light goes off) and a fresh one is captured when it comes back;
 * muting only disables the microphone's track. A newer camera request wins over an older one
 * still capturing. After `stop()` every track is stopped and late captures are dropped.
 */
export class LocalMedia {
  audio: boolean;
  video: boolean;
  microphoneTrack: MediaStreamTrack | null;
  cameraTrack: MediaStreamTrack | null;
  screenTrack: MediaStreamTrack | null = null;
  private stopped = false;
  private cameraRequest = 0;

  constructor(
    private readonly options: LocalMediaOptions,
    private readonly hooks: LocalMediaHooks,
  ) {
    this.audio = options.audio;
    this.video = options.video;
    this.microphoneTrack = options.microphoneTrack ?? null;
    this.cameraTrack = options.video ? (options.cameraTrack ?? null) : null;
    if (!options.video) options.cameraTrack?.stop();
    if (this.microphoneTrack) this.microphoneTrack.enabled = this.audio;
  }

  get state(): LocalMediaState {
    return {
      audio: this.audio,
      video: this.video,
      microphoneTrack: this.microphoneTrack,
      cameraTrack: this.cameraTrack,
      screenTrack: this.screenTrack,
    };
  }

  get canShareScreen(): boolean {
    return Boolean(this.options.acquireScreen ?? navigator.mediaDevices?.getDisplayMedia);
  }

  setMicrophoneEnabled(enabled: boolean): void {
    this.audio = enabled;
    if (this.microphoneTrack) this.microphoneTrack.enabled = enabled;
    else if (enabled) {
      this.options.acquireMicrophone().then(
        (track) => {
          if (this.stopped) return track.stop();
          this.setMicrophoneTrack(track);
        },
        (error: unknown) => this.hooks.failed('microphone_failed', error),
      );
    }
    this.hooks.toggled();
    this.hooks.changed();
  }

  setCameraEnabled(enabled: boolean): void {
    if (enabled === this.video) return;
    this.video = enabled;
    const request = ++this.cameraRequest;
    if (enabled) {
      this.options.acquireCamera().then(
        (track) => {
          if (request !== this.cameraRequest) return track.stop();
          this.setCameraTrack(track);
        },
        (error: unknown) => {
          if (request !== this.cameraRequest) return;
          this.video = false;
          this.hooks.toggled();
          this.hooks.changed();
          this.hooks.failed('camera_failed', error);
        },
      );
    } else {
      // Stop the track so that the camera light goes off; the transceiver stays (stable mids).
      const track = this.cameraTrack;
      this.cameraTrack = null;
      void this.hooks.sender('camera')?.replaceTrack(null).catch(() => undefined);
      track?.stop();
    }
    this.hooks.toggled();
    this.hooks.changed();
  }

  /** Uses this microphone track from now on (a late capture, or another device). */
  setMicrophoneTrack(track: MediaStreamTrack | null): void {
    if (track === this.microphoneTrack) return;
    const old = this.microphoneTrack;
    this.microphoneTrack = track;
    if (track) track.enabled = this.audio;
    void this.hooks.sender('microphone')?.replaceTrack(track).catch((error: unknown) => console.warn(error));
    old?.stop();
    this.hooks.changed();
  }

  /**
   * Uses this camera track from now on (a late capture, or another device). While the camera is
   * turned off the track is stopped at once: turning the camera on captures a fresh one.
   */
  setCameraTrack(track: MediaStreamTrack | null): void {
    if (track === this.cameraTrack) return;
    if (track && (!this.video || this.stopped)) {
      track.stop();
      return;
    }
    const old = this.cameraTrack;
    this.cameraTrack = track;
    void this.hooks.sender('camera')?.replaceTrack(track).catch((error: unknown) => console.warn(error));
    old?.stop();
    this.hooks.changed();
  }

  /** Captures the screen; returns the new track, or null (already sharing, cancelled, failed, stopped). */
  async startScreen(): Promise<MediaStreamTrack | null> {
    if (this.screenTrack || this.stopped) return null;
    let track: MediaStreamTrack;
    try {
      track = await (this.options.acquireScreen ?? acquireScreen)();
    } catch (error) {
      // Cancelling the browser's picker is a choice, not an error.
      if (error instanceof DOMException && error.name === 'NotAllowedError') return null;
      this.hooks.failed('screen_failed', error);
      return null;
    }
    if (this.stopped) {
      track.stop();
      return null;
    }
    if ('contentHint' in track) track.contentHint = 'detail';
    track.addEventListener('ended', () => {
      if (this.screenTrack === track) this.hooks.screenEnded();
    });
    this.screenTrack = track;
    this.hooks.changed();
    return track;
  }

  /** Stops sharing the screen; returns false when there was nothing shared. */
  stopScreen(): boolean {
    const track = this.screenTrack;
    if (!track) return false;
    this.screenTrack = null;
    track.stop();
    this.hooks.changed();
    return true;
  }

  /** Stops every track for good (the camera and microphone lights go off). */
  stop(): void {
    this.stopped = true;
    for (const track of [this.microphoneTrack, this.cameraTrack, this.screenTrack]) track?.stop();
    this.microphoneTrack = null;
    this.cameraTrack = null;
    this.screenTrack = null;
  }
}

async function acquireScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { ideal: 15, max: 30 } },
    audio: false,
  });
  const track = stream.getVideoTracks()[0];
  if (!track) throw new Error('The screen capture has no video track');
  return track;
}
