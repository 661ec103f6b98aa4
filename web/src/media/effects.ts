/**
 * Noise suppression and background blur, applied to a captured track in the browser.
 *
 * Both come from npm packages that carry their models inside: RNNoise compiled to WebAssembly in
 * an AudioWorklet (`@sapphi-red/web-noise-suppressor`), and MediaPipe's selfie segmentation model
 * with its WebAssembly runtime (`@mediapipe/selfie_segmentation`). Nothing is downloaded from
 * elsewhere: the build serves every file from Visio's own origin, and each is fetched only when
 * the person turns the effect on. docs/benchmarks.md gives their measured CPU cost.
 *
 * An effect turns an input track into an output track. Stopping the output (as LocalMedia does
 * with a track it no longer uses) stops the effect and the input, so the camera light goes off.
 */

import rnnoiseWorkletUrl from '@sapphi-red/web-noise-suppressor/rnnoiseWorklet.js?url';
import rnnoiseWasmUrl from '@sapphi-red/web-noise-suppressor/rnnoise.wasm?url';
import rnnoiseSimdWasmUrl from '@sapphi-red/web-noise-suppressor/rnnoise_simd.wasm?url';
import selfieScriptUrl from '@mediapipe/selfie_segmentation/selfie_segmentation.js?url';
import selfieBinarypbUrl from '@mediapipe/selfie_segmentation/selfie_segmentation.binarypb?url';
import selfieLandscapeUrl from '@mediapipe/selfie_segmentation/selfie_segmentation_landscape.tflite?url';
import selfieModelUrl from '@mediapipe/selfie_segmentation/selfie_segmentation.tflite?url';
import selfieSimdJsUrl from '@mediapipe/selfie_segmentation/selfie_segmentation_solution_simd_wasm_bin.js?url';
import selfieSimdWasmUrl from '@mediapipe/selfie_segmentation/selfie_segmentation_solution_simd_wasm_bin.wasm?url';
import selfieJsUrl from '@mediapipe/selfie_segmentation/selfie_segmentation_solution_wasm_bin.js?url';
import selfieWasmUrl from '@mediapipe/selfie_segmentation/selfie_segmentation_solution_wasm_bin.wasm?url';
import type { SelfieSegmentation, Results } from '@mediapipe/selfie_segmentation';

export type Background = 'none' | 'blur';

export interface EffectSettings {
  /** RNNoise on the microphone, on top of the browser's own noise suppression. */
  noiseSuppression: boolean;
  background: Background;
}

export const NO_EFFECTS: EffectSettings = { noiseSuppression: false, background: 'none' };

/** Why an effect could not be applied: the track goes out unprocessed and the person is told. */
export type EffectFailure = 'noise_suppression_failed' | 'background_failed';

let active: EffectSettings = NO_EFFECTS;
const warn = (failure: EffectFailure, error: unknown) => console.warn(failure, error);
let onFailure: (failure: EffectFailure, error: unknown) => void = warn;

/** The effects that captures apply from now on (the person's choice, from preferences). */
export function setActiveEffects(settings: EffectSettings): void {
  active = settings;
}

export function activeEffects(): EffectSettings {
  return active;
}

/** Who hears that an effect failed (the UI shows a notice); returns a function that stops it. */
export function onEffectFailure(listener: (failure: EffectFailure, error: unknown) => void): () => void {
  onFailure = listener;
  return () => {
    if (onFailure === listener) onFailure = warn;
  };
}

/** Applies the active effects to a freshly captured track; an effect that fails is left out. */
export async function processCaptured(track: MediaStreamTrack): Promise<MediaStreamTrack> {
  if (track.kind === 'audio' && active.noiseSuppression) {
    try {
      return await suppressNoise(track);
    } catch (error) {
      onFailure('noise_suppression_failed', error);
    }
  } else if (track.kind === 'video' && active.background === 'blur') {
    try {
      return await blurBackground(track);
    } catch (error) {
      onFailure('background_failed', error);
    }
  }
  return track;
}

/** Makes `output.stop()` also run `dispose` (once), and stop the output when the input ends. */
function chain(input: MediaStreamTrack, output: MediaStreamTrack, dispose: () => void): MediaStreamTrack {
  let disposed = false;
  const stopOutput = output.stop.bind(output);
  const finish = () => {
    if (disposed) return;
    disposed = true;
    dispose();
    input.stop();
  };
  output.stop = () => {
    stopOutput();
    finish();
  };
  input.addEventListener('ended', () => {
    stopOutput();
    finish();
  });
  // The device behind the output is the input's: device lists and fallbacks read it here.
  const outputSettings = output.getSettings.bind(output);
  output.getSettings = () => ({ ...outputSettings(), deviceId: input.getSettings().deviceId, groupId: input.getSettings().groupId });
  Object.defineProperty(output, 'label', { get: () => input.label });
  // The person mutes the output; the input follows so that nothing is processed for nothing.
  Object.defineProperty(output, 'enabled', {
    get: () => input.enabled,
    set: (value: boolean) => {
      input.enabled = value;
    },
  });
  return output;
}

// ---- noise suppression ------------------------------------------------------------------------

let rnnoiseBinary: Promise<ArrayBuffer> | null = null;

async function suppressNoise(input: MediaStreamTrack): Promise<MediaStreamTrack> {
  const { RnnoiseWorkletNode, loadRnnoise } = await import('@sapphi-red/web-noise-suppressor');
  rnnoiseBinary ??= loadRnnoise({ url: rnnoiseWasmUrl, simdUrl: rnnoiseSimdWasmUrl }).catch((error: unknown) => {
    rnnoiseBinary = null;
    throw error;
  });
  const wasmBinary = await rnnoiseBinary;
  // RNNoise works on 48 kHz frames.
  const context = new AudioContext({ sampleRate: 48_000 });
  try {
    await context.audioWorklet.addModule(rnnoiseWorkletUrl);
    const source = context.createMediaStreamSource(new MediaStream([input]));
    const rnnoise = new RnnoiseWorkletNode(context, { maxChannels: 1, wasmBinary });
    const destination = context.createMediaStreamDestination();
    source.connect(rnnoise).connect(destination);
    await context.resume();
    const output = destination.stream.getAudioTracks()[0];
    if (!output) throw new Error('the noise suppressor gave no track');
    return chain(input, output, () => {
      rnnoise.destroy();
      void context.close();
    });
  } catch (error) {
    void context.close();
    throw error;
  }
}

// ---- background blur --------------------------------------------------------------------------

const SELFIE_FILES: Record<string, string> = {
  'selfie_segmentation.binarypb': selfieBinarypbUrl,
  'selfie_segmentation.tflite': selfieModelUrl,
  'selfie_segmentation_landscape.tflite': selfieLandscapeUrl,
  'selfie_segmentation_solution_simd_wasm_bin.js': selfieSimdJsUrl,
  'selfie_segmentation_solution_simd_wasm_bin.wasm': selfieSimdWasmUrl,
  'selfie_segmentation_solution_wasm_bin.js': selfieJsUrl,
  'selfie_segmentation_solution_wasm_bin.wasm': selfieWasmUrl,
};

/** Frames per second of the blurred camera: segmentation is the costly part. */
export const BLUR_FRAME_RATE = 24;
const BLUR_RADIUS_PX = 12;
const MAX_BLUR_WIDTH = 1280;

type SelfieConstructor = typeof SelfieSegmentation;
let selfieScript: Promise<SelfieConstructor> | null = null;

/** MediaPipe's solution is a classic script that defines a global: load it once, from our origin. */
function loadSelfieSegmentation(): Promise<SelfieConstructor> {
  selfieScript ??= new Promise<SelfieConstructor>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = selfieScriptUrl;
    script.async = true;
    script.onload = () => {
      const constructor = (globalThis as { SelfieSegmentation?: SelfieConstructor }).SelfieSegmentation;
      if (constructor) resolve(constructor);
      else reject(new Error('the segmentation script defined nothing'));
    };
    script.onerror = () => reject(new Error('the segmentation script did not load'));
    document.head.append(script);
  }).catch((error: unknown) => {
    selfieScript = null;
    throw error;
  });
  return selfieScript;
}

async function blurBackground(input: MediaStreamTrack): Promise<MediaStreamTrack> {
  const Segmentation = await loadSelfieSegmentation();
  const segmentation = new Segmentation({
    locateFile: (file) => SELFIE_FILES[file] ?? file,
  });
  // The landscape model is the one made for video calls (144 × 256 input, faster).
  segmentation.setOptions({ modelSelection: 1 });

  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([input]);
  const settings = input.getSettings();
  const scale = Math.min(1, MAX_BLUR_WIDTH / (settings.width ?? 640));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round((settings.width ?? 640) * scale);
  canvas.height = Math.round((settings.height ?? 360) * scale);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas');

  segmentation.onResults((results: Results) => {
    const { width, height } = canvas;
    context.save();
    context.clearRect(0, 0, width, height);
    // The person: the mask, then the camera image kept only where the mask is.
    context.drawImage(results.segmentationMask, 0, 0, width, height);
    context.globalCompositeOperation = 'source-in';
    context.drawImage(results.image, 0, 0, width, height);
    // The background: the same image, blurred, behind.
    context.globalCompositeOperation = 'destination-over';
    context.filter = `blur(${BLUR_RADIUS_PX}px)`;
    context.drawImage(results.image, 0, 0, width, height);
    context.restore();
  });

  let stopped = false;
  try {
    await video.play();
    await segmentation.initialize();
    // The first frame is segmented before the track is handed out: no unblurred frame leaves.
    await segmentation.send({ image: video });
  } catch (error) {
    stopped = true;
    void segmentation.close();
    throw error;
  }
  const output = canvas.captureStream(BLUR_FRAME_RATE).getVideoTracks()[0];
  if (!output) throw new Error('the canvas gave no track');

  const frameTime = 1000 / BLUR_FRAME_RATE;
  const step = async () => {
    if (stopped) return;
    const started = performance.now();
    try {
      await segmentation.send({ image: video });
    } catch (error) {
      console.warn('background blur', error);
    }
    if (!stopped) window.setTimeout(() => void step(), Math.max(0, frameTime - (performance.now() - started)));
  };
  void step();

  return chain(input, output, () => {
    stopped = true;
    video.srcObject = null;
    void segmentation.close();
  });
}
