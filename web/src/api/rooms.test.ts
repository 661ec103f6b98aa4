import { describe, expect, it } from 'vitest';
import { normalizeMeetingCode } from './rooms';

describe('normalizeMeetingCode', () => {
  it.each([
    ['abc-defg-hij', 'abc-defg-hij'],
    ['  ABC-DEFG-HIJ \n', 'abc-defg-hij'],
    ['https://visio.example.gouv.fr/abc-defg-hij', 'abc-defg-hij'],
    ['https://visio.example.gouv.fr/abc-defg-hij/', 'abc-defg-hij'],
    ['https://visio.example.gouv.fr/abc-defg-hij?lang=fr#x', 'abc-defg-hij'],
    ['visio.example.gouv.fr/Abc-Defg-Hij', 'abc-defg-hij'],
    ['/abc-defg-hij', 'abc-defg-hij'],
    ['', ''],
    ['   ', ''],
    ['https://visio.example.gouv.fr/', ''],
  ])('reads %j as %j', (input, code) => {
    expect(normalizeMeetingCode(input)).toBe(code);
  });
});
