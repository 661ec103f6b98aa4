import { describe, expect, it } from 'vitest';
import { plural } from './plural';

describe('plural', () => {
  it('follows the language plural rules', () => {
    const fr = plural('fr', { one: '# fichier', other: '# fichiers' });
    const en = plural('en', { one: '# file', other: '# files' });
    expect([0, 1, 1.5, 2].map(fr)).toEqual(['0 fichier', '1 fichier', '1,5 fichier', '2 fichiers']);
    expect([0, 1, 1.5, 2].map(en)).toEqual(['0 files', '1 file', '1.5 files', '2 files']);
  });

  it('uses `=0` for exactly zero when given, and `other` for categories not given', () => {
    const sentence = plural('en', { '=0': 'nothing', other: '# things' });
    expect([0, 1, 7].map(sentence)).toEqual(['nothing', '1 things', '7 things']);
  });
});
