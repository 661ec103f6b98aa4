import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../i18n/messages';
import type { ParticipantInfo } from '../room/protocol';
import {
  captionsAnnouncement,
  lockAnnouncement,
  moderationAnnouncement,
  participantLeftAnnouncement,
  participantsAnnouncement,
  selfAnnouncement,
} from './announcements';

const { en, fr } = MESSAGES;

function person(id: string, name: string, extra: Partial<ParticipantInfo> = {}): ParticipantInfo {
  return {
    id,
    name,
    audio: true,
    video: true,
    screen: false,
    moderator: false,
    joined_at: '2026-01-01T10:00:00Z',
    identity: 'guest',
    ...extra,
  };
}

const ann = person('p_ann', 'Ann');
const bob = person('p_bob', 'Bob');

describe('participantLeftAnnouncement', () => {
  it('tells a removal from leaving', () => {
    expect(participantLeftAnnouncement('Ann', 'left', en)).toBe('Ann left the meeting');
    expect(participantLeftAnnouncement('Ann', 'disconnected', en)).toBe('Ann left the meeting');
    expect(participantLeftAnnouncement('Ann', 'removed', fr)).toBe('Ann a été retiré de la réunion');
  });
});

describe('moderationAnnouncement', () => {
  it('says what the moderator just did, except removal and promotion (confirmed by the server)', () => {
    expect(moderationAnnouncement('mute', 'Ann', en)).toBe('Ann was muted');
    expect(moderationAnnouncement('mute', 'Ann', fr)).toBe('Le micro de Ann a été coupé');
    expect(moderationAnnouncement('camera_off', 'Ann', en)).toBe(en.participantCameraTurnedOff('Ann'));
    expect(moderationAnnouncement('stop_screen', 'Ann', en)).toBe(en.participantScreenStopped('Ann'));
    expect(moderationAnnouncement('lower_hand', 'Ann', en)).toBe(en.participantHandLowered('Ann'));
    expect(moderationAnnouncement('remove', 'Ann', en)).toBeNull();
    expect(moderationAnnouncement('promote', 'Ann', en)).toBeNull();
  });
});

describe('captionsAnnouncement', () => {
  const off = { enabled: false, language: 'auto' } as const;
  const french = { enabled: true, language: 'fr' } as const;

  it('announces subtitles turned on, with the language and who did it', () => {
    expect(captionsAnnouncement(off, french, 'Ann', en)).toBe(en.subtitlesOnAnnouncement('Français', 'Ann'));
    expect(captionsAnnouncement(off, french, null, en)).toBe(en.subtitlesOnAnnouncement('Français', null));
  });

  it('announces a change of language, and subtitles turned off', () => {
    expect(captionsAnnouncement(french, { enabled: true, language: 'en' }, null, en)).toBe(
      en.subtitlesOnAnnouncement('English', null),
    );
    expect(captionsAnnouncement(french, off, 'Ann', en)).toBe('Ann turned off subtitles');
  });

  it('says nothing when nothing a person notices changed', () => {
    expect(captionsAnnouncement(french, { ...french, set_by: 'p_ann' }, 'Ann', en)).toBeNull();
    expect(captionsAnnouncement(off, off, null, en)).toBeNull();
  });
});

describe('lockAnnouncement', () => {
  it('names the moderator who locked or unlocked, but not yourself', () => {
    expect(lockAnnouncement({ locked: true, setBy: 'p_ann' }, 'p_me', [ann], en)).toBe('Ann locked the meeting');
    expect(lockAnnouncement({ locked: false, setBy: 'p_me' }, 'p_me', [ann], en)).toBe('The meeting is unlocked');
    expect(lockAnnouncement({ locked: true, setBy: 'p_gone' }, 'p_me', [ann], fr)).toBe('La réunion est verrouillée');
  });

  it('says nothing about the state on joining', () => {
    expect(lockAnnouncement({ locked: true }, 'p_me', [ann], en)).toBeNull();
  });
});

describe('participantsAnnouncement', () => {
  it('announces a hand that went up', () => {
    const raised = { ...bob, hand_raised_at: '2026-01-01T10:05:00Z' };
    expect(participantsAnnouncement([ann, bob], [ann, raised], en)).toBe('Bob raised their hand');
  });

  it('does not announce a hand already up when someone arrives', () => {
    expect(participantsAnnouncement([ann], [ann, { ...bob, hand_raised_at: '2026-01-01T10:05:00Z' }], en)).toBeNull();
  });

  it('announces someone already here who became a moderator, not one arriving as one', () => {
    expect(participantsAnnouncement([ann, bob], [{ ...ann, moderator: true }, bob], en)).toBe('Ann is now a moderator');
    expect(participantsAnnouncement([ann], [ann, { ...bob, moderator: true }], en)).toBeNull();
  });

  it('prefers the raised hand when both happen at once, and names the latest person', () => {
    const next = [{ ...ann, moderator: true }, { ...bob, hand_raised_at: '2026-01-01T10:05:00Z' }];
    expect(participantsAnnouncement([ann, bob], next, en)).toBe('Bob raised their hand');
    const both = [{ ...ann, moderator: true }, { ...bob, moderator: true }];
    expect(participantsAnnouncement([ann, bob], both, fr)).toBe('Bob est maintenant modérateur');
  });

  it('says nothing when nothing worth saying changed', () => {
    expect(participantsAnnouncement([ann, bob], [ann, { ...bob, audio: false }], en)).toBeNull();
    expect(participantsAnnouncement([ann, bob], [ann], en)).toBeNull();
  });
});

describe('selfAnnouncement', () => {
  const me = person('p_me', 'Me');

  it('tells you that you became a moderator', () => {
    expect(selfAnnouncement(me, { ...me, moderator: true }, en)).toBe('You are now a moderator');
  });

  it('says nothing when you joined (or rejoined) as one, or nothing changed', () => {
    expect(selfAnnouncement(null, { ...me, moderator: true }, en)).toBeNull();
    expect(selfAnnouncement(me, { ...me, id: 'p_me2', moderator: true }, en)).toBeNull();
    expect(selfAnnouncement({ ...me, moderator: true }, { ...me, moderator: true }, en)).toBeNull();
    expect(selfAnnouncement(me, { ...me, audio: false }, en)).toBeNull();
  });
});
