import { describe, expect, it } from 'vitest';
import { bestGrid } from './layout';

describe('bestGrid', () => {
  it('puts two people side by side on a wide screen and stacked on a phone', () => {
    expect(bestGrid(2, 1280, 700)).toEqual({ cols: 2, rows: 1 });
    expect(bestGrid(2, 360, 600)).toEqual({ cols: 1, rows: 2 });
  });

  it('makes a square-ish grid for many people', () => {
    expect(bestGrid(9, 1280, 720)).toEqual({ cols: 3, rows: 3 });
    expect(bestGrid(1, 1280, 720)).toEqual({ cols: 1, rows: 1 });
  });
});
