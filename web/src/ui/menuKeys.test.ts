import { describe, expect, it } from 'vitest';
import { menuFocusIndex, menuPosition } from './menuKeys';

describe('menuFocusIndex', () => {
  it('moves with the arrows and wraps around', () => {
    expect(menuFocusIndex('ArrowDown', 0, 3)).toBe(1);
    expect(menuFocusIndex('ArrowDown', 2, 3)).toBe(0);
    expect(menuFocusIndex('ArrowUp', 0, 3)).toBe(2);
  });

  it('jumps with Home and End', () => {
    expect(menuFocusIndex('Home', 2, 3)).toBe(0);
    expect(menuFocusIndex('End', 0, 3)).toBe(2);
  });

  it('ignores other keys and empty menus', () => {
    expect(menuFocusIndex('a', 0, 3)).toBeNull();
    expect(menuFocusIndex('ArrowDown', 0, 0)).toBeNull();
  });
});

describe('menuPosition', () => {
  const viewport = { width: 360, height: 640 };
  const size = { width: 200, height: 180 };

  it('opens below the button, right-aligned with it', () => {
    expect(menuPosition({ top: 100, bottom: 140, right: 340 }, size, viewport)).toEqual({ top: 144, left: 140 });
  });

  it('opens above when there is no room below', () => {
    expect(menuPosition({ top: 580, bottom: 620, right: 340 }, size, viewport)).toEqual({ top: 396, left: 140 });
  });

  it('stays on screen when the button is near the left edge', () => {
    expect(menuPosition({ top: 100, bottom: 140, right: 60 }, size, viewport).left).toBe(8);
  });
});
