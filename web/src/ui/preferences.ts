/** What the app remembers in localStorage: the person's name, chosen devices and subtitle settings. */

import { NO_EFFECTS, type EffectSettings } from '../media/effects';

const NAME_KEY = 'visio.name';
const DEVICES_KEY = 'visio.devices';

export interface DevicePreferences {
  microphoneId?: string | undefined;
  cameraId?: string | undefined;
  speakerId?: string | undefined;
}

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // Storage disabled: nothing is remembered.
  }
}

function write(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Storage disabled or full: not remembering is fine.
  }
}

export const loadName = (): string => read(NAME_KEY) ?? '';
export const saveName = (name: string): void => write(NAME_KEY, name);

export function loadDevicePreferences(): DevicePreferences {
  try {
    const value: unknown = JSON.parse(read(DEVICES_KEY) ?? '{}');
    if (typeof value !== 'object' || value === null) return {};
    const record = value as Record<string, unknown>;
    const pick = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : undefined);
    return { microphoneId: pick('microphoneId'), cameraId: pick('cameraId'), speakerId: pick('speakerId') };
  } catch {
    return {};
  }
}

export const saveDevicePreferences = (preferences: DevicePreferences): void =>
  write(DEVICES_KEY, JSON.stringify(preferences));

const CAPTIONS_KEY = 'visio.captions';

/** Subtitle text sizes, as multiples of the normal size: the A−/A+ buttons step through them. */
export const CAPTION_TEXT_SCALES = [0.85, 1, 1.2, 1.4, 1.7] as const;
export const DEFAULT_CAPTION_TEXT_SIZE = 1;

export interface CaptionPreferences {
  /** Whether this person shows subtitles over the video (when the meeting has them on). */
  visible: boolean;
  /** An index into CAPTION_TEXT_SCALES. */
  textSize: number;
  /** Whether this person reads the subtitles in English (translated when spoken in another language). */
  english: boolean;
}

export function loadCaptionPreferences(): CaptionPreferences {
  const preferences: CaptionPreferences = { visible: true, textSize: DEFAULT_CAPTION_TEXT_SIZE, english: false };
  try {
    const value: unknown = JSON.parse(read(CAPTIONS_KEY) ?? '{}');
    if (typeof value !== 'object' || value === null) return preferences;
    const record = value as Record<string, unknown>;
    if (typeof record.visible === 'boolean') preferences.visible = record.visible;
    if (typeof record.english === 'boolean') preferences.english = record.english;
    const size = record.textSize;
    if (typeof size === 'number' && Number.isInteger(size) && size >= 0 && size < CAPTION_TEXT_SCALES.length) {
      preferences.textSize = size;
    }
  } catch {
    // A broken value: start from the defaults.
  }
  return preferences;
}

export const saveCaptionPreferences = (preferences: CaptionPreferences): void =>
  write(CAPTIONS_KEY, JSON.stringify(preferences));

const EFFECTS_KEY = 'visio.effects';

/** Noise suppression and background blur, as the person last chose them (off at first). */
export function loadEffectPreferences(): EffectSettings {
  try {
    const value: unknown = JSON.parse(read(EFFECTS_KEY) ?? '{}');
    if (typeof value !== 'object' || value === null) return NO_EFFECTS;
    const record = value as Record<string, unknown>;
    return {
      noiseSuppression: record.noiseSuppression === true,
      background: record.background === 'blur' ? 'blur' : 'none',
    };
  } catch {
    return NO_EFFECTS;
  }
}

export const saveEffectPreferences = (settings: EffectSettings): void =>
  write(EFFECTS_KEY, JSON.stringify(settings));
