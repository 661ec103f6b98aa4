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
