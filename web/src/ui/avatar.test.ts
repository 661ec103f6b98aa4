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
});
