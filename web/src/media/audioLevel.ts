/** Audio levels for the microphone meter and the speaking indicator (WebAudio). */

let sharedContext: AudioContext | null = null;

/** One AudioContext for the page; resumed on the first click or key press (autoplay rules). */
export function audioContext(): AudioContext | null {
  if (sharedContext) return sharedContext;
  const Context = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Context) return null;
  const context = new Context();
  sharedContext = context;
  if (context.state === 'suspended') {
    const resume = () => {
      void context.resume();
      window.removeEventListener('pointerdown', resume, true);
      window.removeEventListener('keydown', resume, true);
    };
    window.addEventListener('pointerdown', resume, true);
    window.addEventListener('keydown', resume, true);
    void context.resume().catch(() => undefined);
  }
  return context;
}

/** Reads the level (0 to 1) of one audio track. Call `close()` when done. */
export class AudioLevelMeter {
  private readonly source: MediaStreamAudioSourceNode;
  private readonly analyser: AnalyserNode;
  private readonly samples: Float32Array<ArrayBuffer>;

  constructor(context: AudioContext, track: MediaStreamTrack) {
    this.source = context.createMediaStreamSource(new MediaStream([track]));
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 512;
    this.samples = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
  }

  /** Root mean square of the last samples, scaled so that speech reads about 0.3 to 1. */
  read(): number {
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const sample of this.samples) sum += sample * sample;
    return Math.min(1, Math.sqrt(sum / this.samples.length) * 6);
  }

  close(): void {
    this.source.disconnect();
    this.analyser.disconnect();
  }
}
