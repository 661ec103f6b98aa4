import { describe, expect, it } from 'vitest';
import {
  arrangeTiles,
  effectiveLayout,
  gridPageSize,
  gridTileWidth,
  MIN_GRID_TILE_WIDTH,
  rememberSpeakers,
  type LayoutInput,
  type LayoutTile,
} from './layouts';
import { bestGrid } from './layout';

const DESKTOP = { width: 1240, height: 640 };
const PHONE = { width: 366, height: 560 };

const camera = (id: string, local = false): LayoutTile => ({ key: `${id}-camera`, participantId: id, source: 'camera', local });
const screen = (id: string, local = false): LayoutTile => ({ key: `${id}-screen`, participantId: id, source: 'screen', local });

/** You and `others` remote people p1, p2, ... */
function people(others: number): LayoutTile[] {
  return [camera('me', true), ...Array.from({ length: others }, (_, i) => camera(`p${i + 1}`))];
}

function arrange(extra: Partial<LayoutInput<LayoutTile>>) {
  return arrangeTiles<LayoutTile>({
    layout: 'grid',
    cameras: people(3),
    screens: [],
    recentSpeakers: [],
    pinned: null,
    hideSelf: false,
    page: 0,
    area: DESKTOP,
    ...extra,
  });
}

const ids = (tiles: LayoutTile[]) => tiles.map((tile) => tile.key);

describe('grid pages', () => {
  it('holds at most 9 tiles on a desktop stage', () => {
    expect(gridPageSize(DESKTOP)).toBe(9);
    expect(gridPageSize({ width: 3000, height: 2000 })).toBe(9);
  });

  it('holds only as many as stay 240 px wide on a phone', () => {
    const size = gridPageSize(PHONE);
    expect(size).toBeLessThan(9);
    expect(size).toBeGreaterThanOrEqual(1);
    const { cols, rows } = bestGrid(size, PHONE.width, PHONE.height);
    expect(gridTileWidth(cols, rows, PHONE)).toBeGreaterThanOrEqual(MIN_GRID_TILE_WIDTH);
    const bigger = bestGrid(size + 1, PHONE.width, PHONE.height);
    expect(gridTileWidth(bigger.cols, bigger.rows, PHONE)).toBeLessThan(MIN_GRID_TILE_WIDTH);
  });

  it('pages 20 people in pages of 9, the last one partial', () => {
    const cameras = people(19);
    const first = arrange({ cameras });
    expect(first.pageCount).toBe(3);
    expect(first.main).toHaveLength(9);
    expect(first.main[0]?.key).toBe('me-camera');
    const last = arrange({ cameras, page: 2 });
    expect(ids(last.main)).toEqual(['p18-camera', 'p19-camera']);
  });

  it('brings a page out of range back to the last one (people left)', () => {
    const result = arrange({ cameras: people(4), page: 5 });
    expect(result.page).toBe(0);
    expect(result.pageCount).toBe(1);
    expect(result.main).toHaveLength(5);
  });

  it('shows the pinned person first', () => {
    expect(ids(arrange({ cameras: people(12), pinned: 'p11' }).main).slice(0, 2)).toEqual(['p11-camera', 'me-camera']);
  });

  it('ignores a pin on someone who left', () => {
    expect(arrange({ pinned: 'gone' }).main[0]?.key).toBe('me-camera');
  });

  it('leaves out the hidden self view', () => {
    expect(ids(arrange({ hideSelf: true }).main)).toEqual(['p1-camera', 'p2-camera', 'p3-camera']);
  });
});

describe('speaker layout', () => {
  it('shows the latest remote speaker large and the others in the filmstrip', () => {
    const result = arrange({ layout: 'speaker', recentSpeakers: ['p2', 'p1'] });
    expect(ids(result.main)).toEqual(['p2-camera']);
    expect(ids(result.strip)).toEqual(['me-camera', 'p1-camera', 'p3-camera']);
  });

  it('never shows yourself large for speaking', () => {
    const result = arrange({ layout: 'speaker', recentSpeakers: ['me', 'p3'] });
    expect(ids(result.main)).toEqual(['p3-camera']);
  });

  it('shows the first other person before anyone spoke', () => {
    expect(ids(arrange({ layout: 'speaker' }).main)).toEqual(['p1-camera']);
  });

  it('shows the pinned person large whoever speaks', () => {
    const result = arrange({ layout: 'speaker', recentSpeakers: ['p2'], pinned: 'p3' });
    expect(ids(result.main)).toEqual(['p3-camera']);
    expect(result.strip.map((t) => t.participantId)).not.toContain('p3');
  });

  it('shows yourself when alone', () => {
    expect(ids(arrange({ layout: 'speaker', cameras: people(0) }).main)).toEqual(['me-camera']);
  });

  it('holds in the filmstrip only what fits, keeping the latest speaker', () => {
    const result = arrange({ layout: 'speaker', cameras: people(30), recentSpeakers: ['p2', 'p29'], pinned: 'p2' });
    expect(result.strip.length).toBeLessThan(30);
    expect(result.stripHidden).toBe(30 - result.strip.length);
    expect(result.strip.map((t) => t.participantId)).toContain('p29');
  });
});

describe('screen focus', () => {
  it('comes by itself when someone shares, until the person switches back', () => {
    const screens = [screen('p1')];
    expect(effectiveLayout('grid', screens, [])).toBe('screen');
    expect(effectiveLayout('speaker', screens, ['p1-screen'])).toBe('speaker');
    expect(effectiveLayout('grid', [screen('p1'), screen('p2')], ['p1-screen'])).toBe('screen');
    expect(effectiveLayout('speaker', [], [])).toBe('speaker');
  });

  it('shows the screen large and every camera in the filmstrip', () => {
    const result = arrange({ layout: 'screen', screens: [screen('p1')] });
    expect(ids(result.main)).toEqual(['p1-screen']);
    expect(ids(result.strip)).toEqual(['me-camera', 'p1-camera', 'p2-camera', 'p3-camera']);
  });

  it('falls back to the grid once the share ends', () => {
    expect(arrange({ layout: 'screen', screens: [] }).layout).toBe('grid');
  });

  it('puts the screens in the grid for someone who switched back to it', () => {
    expect(arrange({ screens: [screen('p1')] }).main[0]?.key).toBe('p1-screen');
  });

  it('leaves out the hidden self view from the filmstrip', () => {
    const result = arrange({ layout: 'screen', screens: [screen('p1')], hideSelf: true });
    expect(result.strip.some((tile) => tile.local)).toBe(false);
  });
});

describe('recent speakers', () => {
  it('moves whoever starts speaking to the front and keeps the others', () => {
    let recent = rememberSpeakers([], [], ['p1'], ['p1', 'p2']);
    expect(recent).toEqual(['p1']);
    recent = rememberSpeakers(recent, ['p1'], [], ['p1', 'p2']);
    expect(recent).toEqual(['p1']);
    recent = rememberSpeakers(recent, [], ['p2'], ['p1', 'p2']);
    expect(recent).toEqual(['p2', 'p1']);
    recent = rememberSpeakers(recent, ['p2'], ['p2', 'p1'], ['p1', 'p2']);
    expect(recent).toEqual(['p1', 'p2']);
  });

  it('drops those who left', () => {
    expect(rememberSpeakers(['p2', 'p1'], [], [], ['p1'])).toEqual(['p1']);
  });
});
