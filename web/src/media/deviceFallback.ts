/**
 * Which device to use when the one in use goes away (an unplugged headset): plain functions of
 * the device lists, so they can be tested without a browser.
 */

export interface DeviceLike {
  deviceId: string;
  label: string;
}

/**
 * The device to switch to after `goneId` disappeared from `available`: the system default when
 * there is one ("default" in Chromium), else the first in the list; null when none is left.
 * Returns null too when the device in use is still there (nothing to do).
 */
export function fallbackDevice<T extends DeviceLike>(inUseId: string | null, available: readonly T[]): T | null {
  if (inUseId === null) return null;
  if (available.some((device) => device.deviceId === inUseId)) return null;
  return available.find((device) => device.deviceId === 'default') ?? available[0] ?? null;
}

/**
 * Whether the device in use went away: it was listed before and is not now (a track that was never
 * matched to a listed device, e.g. before permission, is not "gone").
 */
export function deviceGone(inUseId: string | null, before: readonly DeviceLike[], after: readonly DeviceLike[]): boolean {
  if (inUseId === null) return false;
  return before.some((device) => device.deviceId === inUseId) && !after.some((device) => device.deviceId === inUseId);
}

/** The id of the device a track captures from (what `getSettings()` says), or null. */
export function deviceIdOf(track: MediaStreamTrack | null): string | null {
  if (!track || track.readyState === 'ended') return null;
  return track.getSettings().deviceId ?? null;
}
