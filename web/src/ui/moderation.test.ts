import { describe, expect, it } from 'vitest';
import { byRaisedHand, moderationActions } from './moderation';

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

describe('what the policy allows the moderator looking', () => {
  it('offers a stand-in moderator no promotion, and no removal of someone with a role', () => {
    const standIn = { moderatorBy: 'interim' as const };
    expect(moderationActions({ ...everythingOn, screen: false, video: false }, standIn)).toEqual(['mute', 'remove']);
    expect(moderationActions({ ...everythingOn, screen: false, video: false, role: 'member' }, standIn)).toEqual([
      'mute',
    ]);
  });

  it('offers removing an owner only to an owner, an administrator to administrators and up', () => {
    const owner = { audio: false, video: false, screen: false, moderator: true, role: 'owner' as const };
    const admin = { ...owner, role: 'administrator' as const };
    expect(moderationActions(owner, { role: 'administrator', moderatorBy: 'role' })).toEqual([]);
    expect(moderationActions(owner, { role: 'owner', moderatorBy: 'role' })).toEqual(['remove']);
    expect(moderationActions(admin, { role: 'administrator', moderatorBy: 'role' })).toEqual(['remove']);
    expect(moderationActions(admin, { moderatorBy: 'promoted' })).toEqual([]);
  });
});

describe('lower hand', () => {
  it('offers Lower hand first when the hand is up', () => {
    expect(moderationActions({ ...everythingOn, handRaised: true })).toEqual([
      'lower_hand',
      'mute',
      'camera_off',
      'stop_screen',
      'promote',
      'remove',
    ]);
  });
});

describe('byRaisedHand', () => {
  it('puts raised hands first, earliest first, and keeps the others in order', () => {
    const rows = [
      { id: 'me' },
      { id: 'a' },
      { id: 'b', handRaisedAt: '2025-01-01T10:00:05Z' },
      { id: 'c' },
      { id: 'd', handRaisedAt: '2025-01-01T10:00:01Z' },
    ];
    expect(byRaisedHand(rows).map((row) => row.id)).toEqual(['d', 'b', 'me', 'a', 'c']);
  });
});
