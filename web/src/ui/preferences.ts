/** What the app remembers in localStorage: the person's name and chosen devices. */

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
