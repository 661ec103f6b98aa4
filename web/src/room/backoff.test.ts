import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const options = { initialMs: 250, maxMs: 5000 };

  it('doubles from the initial delay up to the cap', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(attempt, options, top))).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000,
    ]);
  });

  it('jitters between half and all of the delay', () => {
    expect(backoffDelay(2, options, () => 0)).toBe(500);
    expect(backoffDelay(2, options, () => 0.5)).toBe(750);
  });
});
