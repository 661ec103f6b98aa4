import { describe, expect, it } from 'vitest';
import { avatarColor, initials } from './avatar';

describe('initials', () => {
  it('takes the first letters of the first and last words', () => {
    expect(initials('alice martin')).toBe('AM');
    expect(initials('  Bob ')).toBe('B');
    expect(initials('Élodie de la Tour')).toBe('ÉT');
    expect(initials('')).toBe('?');
  });
});

describe('avatarColor', () => {
  it('is stable for a name and differs between names', () => {
    expect(avatarColor('Alice')).toBe(avatarColor('Alice'));
    expect(avatarColor('Alice')).not.toBe(avatarColor('Bob'));
  });

  it('keeps white initials at 4.5:1 contrast or more, whatever the hue', () => {
    const channel = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    let worst = Infinity;
    for (let hash = 0; worst > 0 && hash < 2000; hash++) {
      const name = String.fromCodePoint(0x41 + (hash % 26), 0x61 + Math.floor(hash / 26) % 26, 0x30 + (hash % 10));
      const match = /^hsl\((\d+) (\d+)% (\d+)%\)$/.exec(avatarColor(name));
      expect(match).not.toBeNull();
      const [h, s, l] = [Number(match?.[1]) / 360, Number(match?.[2]) / 100, Number(match?.[3]) / 100];
      const a = s * Math.min(l, 1 - l);
      const f = (n: number) => {
        const k = (n + h * 12) % 12;
        return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
      };
      const luminance = 0.2126 * channel(f(0)) + 0.7152 * channel(f(8)) + 0.0722 * channel(f(4));
      worst = Math.min(worst, 1.05 / (luminance + 0.05));
    }
    expect(worst).toBeGreaterThanOrEqual(4.5);
  });
});
