import { describe, expect, it } from 'vitest';
import { SOUND_MAX_PARTICIPANTS, shouldPlaySound } from './notificationSounds';

describe('shouldPlaySound', () => {
  it('plays in meetings of up to six people when sounds are on', () => {
    expect(SOUND_MAX_PARTICIPANTS).toBe(6);
    expect(shouldPlaySound(true, 2)).toBe(true);
    expect(shouldPlaySound(true, 6)).toBe(true);
  });

  it('stays silent in larger meetings, or when the person turned sounds off', () => {
    expect(shouldPlaySound(true, 7)).toBe(false);
    expect(shouldPlaySound(false, 2)).toBe(false);
  });
});
