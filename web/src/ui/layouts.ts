/**
 * Meeting layouts, as pure decisions: which tiles show, which one is large, which grid page.
 *
 * - **grid**: camera tiles (and screens, if the person left screen focus) in pages of at most
 *   `MAX_GRID_TILES`, and no more than fit with tiles at least `MIN_GRID_TILE_WIDTH` wide.
 * - **speaker**: one tile large (the pinned person, else the latest remote speaker), the others in
 *   a filmstrip.
 * - **screen**: the shared screens large, the cameras in a filmstrip. Chosen automatically when a
 *   share starts; the person may switch back to their layout until another share starts.
 *
 * Tiles that are not shown (other pages, what the filmstrip cannot hold, one's hidden self view)
 * are left out altogether: what is not rendered is not received at a high layer.
 */
import { bestGrid } from './layout';

export type LayoutName = 'grid' | 'speaker' | 'screen';
/** What a person chooses and keeps between meetings; screen focus comes by itself. */
export type PreferredLayout = Exclude<LayoutName, 'screen'>;

export const MAX_GRID_TILES = 9;
export const MIN_GRID_TILE_WIDTH = 240;
export const GRID_GAP = 12;
/** Width of a filmstrip tile (16:9): smaller on a phone. */
export function stripTileWidth(stageWidth: number): number {
  return stageWidth < 600 ? 140 : 200;
}

/** The little a layout needs to know of a tile. */
export interface LayoutTile {
  key: string;
  participantId: string;
  source: 'camera' | 'screen';
  local: boolean;
}

export interface Area {
  width: number;
  height: number;
}

/**
 * The layout shown: screen focus while a share is on that the person has not switched away from
 * (`dismissedScreens` holds the keys of the screens shown when they did), else their own choice.
 */
export function effectiveLayout(
  preferred: PreferredLayout,
  screens: readonly LayoutTile[],
  dismissedScreens: readonly string[],
): LayoutName {
  if (screens.some((screen) => !dismissedScreens.includes(screen.key))) return 'screen';
  return preferred;
}

/** The tile width of a `cols` × `rows` grid of 16:9 tiles in `area`. */
export function gridTileWidth(cols: number, rows: number, area: Area, gap = GRID_GAP): number {
  const width = (area.width - gap * (cols - 1)) / cols;
  const height = (area.height - gap * (rows - 1)) / rows;
  return Math.max(0, Math.min(width, (height * 16) / 9));
}

/** How many tiles one grid page holds in `area`: at most 9, each at least 240 px wide (at least 1). */
export function gridPageSize(area: Area): number {
  if (area.width <= 0 || area.height <= 0) return MAX_GRID_TILES;
  for (let count = MAX_GRID_TILES; count > 1; count--) {
    const { cols, rows } = bestGrid(count, area.width, area.height);
    if (gridTileWidth(cols, rows, area) >= MIN_GRID_TILE_WIDTH) return count;
  }
  return 1;
}

/** How many tiles the filmstrip along the bottom of a stage `width` wide holds (at least 1). */
export function stripCapacity(width: number): number {
  const tile = stripTileWidth(width);
  return Math.max(1, Math.floor((width + GRID_GAP) / (tile + GRID_GAP)));
}

export interface LayoutInput<T extends LayoutTile> {
  layout: LayoutName;
  /** One camera tile per person: you first, then the others in order of arrival. */
  cameras: readonly T[];
  screens: readonly T[];
  /** Participant ids, the most recent to start speaking first (see `rememberSpeakers`). */
  recentSpeakers: readonly string[];
  /** The person this viewer pinned, if any. */
  pinned: string | null;
  hideSelf: boolean;
  /** The grid page asked for (0-based); brought within range. */
  page: number;
  /** The stage's size in CSS pixels. */
  area: Area;
}

export interface Arrangement<T extends LayoutTile> {
  layout: LayoutName;
  /** Large tiles: the grid page, the speaker, or the shared screens. */
  main: T[];
  /** The filmstrip (speaker and screen layouts), only as many as it holds. */
  strip: T[];
  /** Tiles the filmstrip could not hold. */
  stripHidden: number;
  /** The grid page shown (0-based) and how many there are (1 outside the grid). */
  page: number;
  pageCount: number;
}

/** Pinned first, then the order given. */
function pinnedFirst<T extends LayoutTile>(tiles: readonly T[], pinned: string | null): T[] {
  if (!pinned) return [...tiles];
  return [...tiles.filter((tile) => tile.participantId === pinned), ...tiles.filter((tile) => tile.participantId !== pinned)];
}

/** The tiles a filmstrip of `capacity` shows: the first ones, and the latest speaker in the last
 * place when they would otherwise be left out. */
function fitStrip<T extends LayoutTile>(tiles: readonly T[], capacity: number, recentSpeakers: readonly string[]): T[] {
  if (tiles.length <= capacity) return [...tiles];
  const shown = tiles.slice(0, capacity);
  const speaker = recentSpeakers.find((id) => tiles.some((tile) => tile.participantId === id));
  if (speaker && !shown.some((tile) => tile.participantId === speaker)) {
    const tile = tiles.find((candidate) => candidate.participantId === speaker);
    if (tile) shown[capacity - 1] = tile;
  }
  return shown;
}

/** Where each tile goes in the layout shown. */
export function arrangeTiles<T extends LayoutTile>(input: LayoutInput<T>): Arrangement<T> {
  const cameras = input.cameras.filter((tile) => !(input.hideSelf && tile.local));
  const present = (id: string | null) => id !== null && input.cameras.some((tile) => tile.participantId === id);
  const pinned = present(input.pinned) ? input.pinned : null;
  const layout = input.layout === 'screen' && input.screens.length === 0 ? 'grid' : input.layout;

  if (layout === 'grid') {
    const tiles = pinnedFirst([...input.screens, ...cameras], pinned);
    const size = gridPageSize(input.area);
    const pageCount = Math.max(1, Math.ceil(tiles.length / size));
    const page = Math.min(Math.max(0, input.page), pageCount - 1);
    return { layout, main: tiles.slice(page * size, (page + 1) * size), strip: [], stripHidden: 0, page, pageCount };
  }

  let main: T[];
  let rest: T[];
  if (layout === 'screen') {
    main = pinnedFirst(input.screens, pinned);
    rest = pinnedFirst(cameras, pinned);
  } else {
    const remote = input.cameras.filter((tile) => !tile.local);
    const speaker = input.recentSpeakers.find((id) => remote.some((tile) => tile.participantId === id));
    const chosen = pinned ?? speaker ?? remote[0]?.participantId ?? cameras[0]?.participantId ?? null;
    const large = input.cameras.find((tile) => tile.participantId === chosen);
    main = large ? [large] : [];
    rest = [...input.screens, ...cameras.filter((tile) => tile !== large)];
  }
  const capacity = stripCapacity(input.area.width);
  const strip = fitStrip(rest, capacity, input.recentSpeakers);
  return { layout, main, strip, stripHidden: rest.length - strip.length, page: 0, pageCount: 1 };
}

/**
 * The speakers, the most recent to start first: whoever started since `before` (the ids speaking
 * at the previous update) moves to the front; those who left are dropped. Kept for the whole
 * meeting, so the speaker layout keeps the last speaker large through a silence.
 */
export function rememberSpeakers(
  recent: readonly string[],
  before: readonly string[],
  speakingNow: readonly string[],
  present: readonly string[],
): string[] {
  const started = speakingNow.filter((id) => !before.includes(id)).reverse();
  return [...started, ...recent.filter((id) => !started.includes(id))].filter((id) => present.includes(id));
}
