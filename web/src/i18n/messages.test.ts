import { describe, expect, it } from 'vitest';
import { initialLanguage, MESSAGES } from './messages';

describe('initialLanguage', () => {
  const storage = (value: string | null) => ({ getItem: () => value });

  it('prefers the remembered choice', () => {
    expect(initialLanguage(storage('fr'), ['en-US'])).toBe('fr');
  });

  it('follows the browser language otherwise', () => {
    expect(initialLanguage(storage(null), ['fr-FR', 'en'])).toBe('fr');
    expect(initialLanguage(storage(null), ['de-DE', 'en-GB'])).toBe('en');
  });

  it('falls back to English', () => {
    expect(initialLanguage(null, ['de'])).toBe('en');
  });
});

describe('MESSAGES', () => {
  it('has the same keys in every language', () => {
    expect(Object.keys(MESSAGES.fr).sort()).toEqual(Object.keys(MESSAGES.en).sort());
  });
});

describe('counts', () => {
  it('French takes the singular for 0 and 1, English only for 1', () => {
    expect([0, 1, 2].map(MESSAGES.fr.lobbyTitle)).toEqual([
      '0 personne attend de rejoindre la réunion',
      '1 personne attend de rejoindre la réunion',
      '2 personnes attendent de rejoindre la réunion',
    ]);
    expect([0, 1, 2].map(MESSAGES.en.lobbyTitle)).toEqual([
      '0 people are waiting to join',
      '1 person is waiting to join',
      '2 people are waiting to join',
    ]);
  });

  it('has a sentence of its own for nobody in the meeting', () => {
    expect(MESSAGES.fr.participantsInRoom(0)).toBe("Personne n'est encore là");
    expect(MESSAGES.en.participantsInRoom(0)).toBe('No one is here yet');
    expect(MESSAGES.fr.participantsInRoom(1)).toBe('1 personne est dans la réunion');
    expect(MESSAGES.en.participantsInRoom(3)).toBe('3 people are in the meeting');
  });

  it("writes large counts the language's way", () => {
    expect(MESSAGES.en.participantsInRoom(1500)).toBe('1,500 people are in the meeting');
    expect(MESSAGES.fr.participantsInRoom(1500)).toBe('1\u202f500 personnes sont dans la réunion');
  });
});
