import { describe, expect, it } from 'vitest';
import { deviceGone, fallbackDevice } from './deviceFallback';

const headset = { deviceId: 'headset', label: 'USB headset' };
const builtIn = { deviceId: 'built-in', label: 'Built-in microphone' };
const systemDefault = { deviceId: 'default', label: 'Default - Built-in microphone' };

describe('fallbackDevice', () => {
  it('keeps the device in use while it is listed', () => {
    expect(fallbackDevice('headset', [systemDefault, headset, builtIn])).toBeNull();
  });

  it("prefers the system default when the one in use went away", () => {
    expect(fallbackDevice('headset', [builtIn, systemDefault])).toBe(systemDefault);
  });

  it('takes the first device left when there is no default', () => {
    expect(fallbackDevice('headset', [builtIn])).toBe(builtIn);
  });

  it('has nothing to offer when no device is left, or none was in use', () => {
    expect(fallbackDevice('headset', [])).toBeNull();
    expect(fallbackDevice(null, [builtIn])).toBeNull();
  });
});

describe('deviceGone', () => {
  it('is true when the device in use was listed and is no longer', () => {
    expect(deviceGone('headset', [headset, builtIn], [builtIn])).toBe(true);
  });

  it('is false while it is listed, when it was never listed, or with no device in use', () => {
    expect(deviceGone('headset', [headset], [headset])).toBe(false);
    expect(deviceGone('headset', [], [builtIn])).toBe(false);
    expect(deviceGone(null, [headset], [])).toBe(false);
  });
});
