import { describe, expect, it } from 'vitest';
import { moderationActions } from './moderation';

const everythingOn = { audio: true, video: true, screen: true, moderator: false };

describe('moderationActions', () => {
  it('offers everything for someone talking, on camera and sharing, with Remove last', () => {
    expect(moderationActions(everythingOn)).toEqual(['mute', 'camera_off', 'stop_screen', 'promote', 'remove']);
  });

  it('leaves out what is already off', () => {
    expect(moderationActions({ audio: false, video: false, screen: false, moderator: false })).toEqual([
      'promote',
      'remove',
    ]);
  });

  it('does not offer to promote a moderator', () => {
    expect(moderationActions({ ...everythingOn, screen: false, moderator: true })).toEqual([
      'mute',
      'camera_off',
      'remove',
    ]);
  });
});
