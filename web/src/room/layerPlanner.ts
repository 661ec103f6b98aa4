import type { Layer, StreamLayer } from './protocol';

/**
 * Which simulcast layer to receive for each remote video (`subscription.set`), from what the page
 * shows: pure, so that it is tested without a browser.
 *
 * 1. Size: a tile's rendered width in device pixels picks the smallest layer at least as wide as
 *    the tile. Cameras publish the full size (h), half (m) and a quarter (l); at 1280×720 (Chromium's
 *    fake camera, most webcams' HD mode) l is 320 px wide and m 640: a tile under 320 device px gets
 *    low, under 640 medium, a bigger one high, so no layer is ever enlarged on screen. (A 640×480
 *    camera only sends two layers; Janus then relays the best one it has under the target.)
 * 2. Visibility: a video without a rendered tile, a tile scrolled out of view and every video
 *    while the page is hidden get `off`: Janus sends nothing for them.
 * 3. Budget: the sum of the chosen layers' nominal bitrates never goes past what a 6-tile grid
 *    at medium needs (1.8 Mbit/s); when it would, the smallest tiles that are neither pinned nor
 *    speaking come down a layer first, then the others. A shown video never goes below low.
 */

/** The publisher's maxBitrate for each layer (publisher.ts CAMERA_ENCODINGS), in kbit/s. */
export const LAYER_KBPS: { readonly [L in Layer]: number } = { high: 900, medium: 300, low: 100, off: 0 };

/** Below this rendered width (device pixels) the low layer is enough. */
export const LOW_BELOW_PX = 320;
/** Below this rendered width (device pixels) the medium layer is enough. */
export const MEDIUM_BELOW_PX = 640;
/** What a grid of 6 tiles at medium needs. */
export const DEFAULT_BUDGET_KBPS = 6 * 300;

/** A remote video the subscriber connection receives, by its mid (from `subscriber.offer`). */
export interface ReceivedVideo {
  mid: string;
  participantId: string;
  source: 'camera' | 'screen';
}

/** A video tile as the page renders it now. */
export interface RenderedTile {
  participantId: string;
  source: 'camera' | 'screen';
  /** Rendered size in device pixels (CSS pixels × devicePixelRatio). */
  width: number;
  height: number;
  /** Some of it is inside the viewport. */
  onScreen: boolean;
  pinned?: boolean;
  speaking?: boolean;
}

export interface PlanOptions {
  /** The page is visible (document.visibilityState). */
  pageVisible: boolean;
  budgetKbps?: number;
}

export type LayerPlan = Map<string, Layer>;

const DOWN: Readonly<Record<Layer, Layer>> = { high: 'medium', medium: 'low', low: 'low', off: 'off' };

export function layerForWidth(width: number): Layer {
  if (width < LOW_BELOW_PX) return 'low';
  if (width < MEDIUM_BELOW_PX) return 'medium';
  return 'high';
}

function tileKey(participantId: string, source: string): string {
  return `${participantId}\u0000${source}`;
}

/** The layer of every received video, by mid. */
export function planLayers(videos: readonly ReceivedVideo[], tiles: readonly RenderedTile[], options: PlanOptions): LayerPlan {
  const plan: LayerPlan = new Map();
  const byKey = new Map<string, RenderedTile>();
  for (const tile of tiles) {
    const key = tileKey(tile.participantId, tile.source);
    const seen = byKey.get(key);
    // The same video shown twice (a pinned copy, say): the larger visible one decides.
    if (!seen || (tile.onScreen && (!seen.onScreen || tile.width > seen.width))) byKey.set(key, tile);
  }
  const lowerable: { mid: string; tile: RenderedTile }[] = [];
  for (const video of videos) {
    const tile = byKey.get(tileKey(video.participantId, video.source));
    if (!options.pageVisible || !tile || !tile.onScreen || tile.width <= 0 || tile.height <= 0) {
      plan.set(video.mid, 'off');
    } else if (video.source === 'screen') {
      plan.set(video.mid, 'high'); // one layer: on
    } else {
      plan.set(video.mid, layerForWidth(tile.width));
      lowerable.push({ mid: video.mid, tile });
    }
  }
  fitBudget(plan, lowerable, options.budgetKbps ?? DEFAULT_BUDGET_KBPS);
  return plan;
}

/** Brings camera layers down, least important tile first, until the plan fits the budget. */
function fitBudget(plan: LayerPlan, cameras: { mid: string; tile: RenderedTile }[], budgetKbps: number): void {
  let total = 0;
  for (const { mid } of cameras) total += LAYER_KBPS[plan.get(mid)!];
  if (total <= budgetKbps) return;
  const rank = (tile: RenderedTile) => (tile.pinned ? 2 : 0) + (tile.speaking ? 1 : 0);
  const order = [...cameras].sort((a, b) => rank(a.tile) - rank(b.tile) || a.tile.width * a.tile.height - b.tile.width * b.tile.height);
  // One step at a time across all tiles, so that a big tile keeps more than a small one.
  let lowered = true;
  while (total > budgetKbps && lowered) {
    lowered = false;
    for (const { mid } of order) {
      const layer = plan.get(mid)!;
      if (layer === 'low') continue;
      const down = DOWN[layer];
      plan.set(mid, down);
      total -= LAYER_KBPS[layer] - LAYER_KBPS[down];
      lowered = true;
      if (total <= budgetKbps) return;
    }
  }
}

/** Every video at the high layer: what a client without layer selection receives. */
export function planAllHigh(videos: readonly ReceivedVideo[]): LayerPlan {
  return new Map(videos.map((video) => [video.mid, 'high' as Layer]));
}

/** The entries of `next` that differ from `sent` (what the server must change). */
export function diffLayers(sent: ReadonlyMap<string, Layer>, next: ReadonlyMap<string, Layer>): StreamLayer[] {
  const changes: StreamLayer[] = [];
  for (const [mid, layer] of next) if (sent.get(mid) !== layer) changes.push({ mid, layer });
  return changes;
}

const LAYER_RANK: Readonly<Record<Layer, number>> = { off: 0, low: 1, medium: 2, high: 3 };

/**
 * The plan with every camera at most at `cap` (link adaptation: `low` on a poor link, `off` for
 * audio only); screens keep theirs, as a shared screen is what the meeting is looking at.
 */
export function capCameraLayers(plan: LayerPlan, videos: readonly ReceivedVideo[], cap: Layer): LayerPlan {
  const capped: LayerPlan = new Map(plan);
  for (const video of videos) {
    const layer = capped.get(video.mid);
    if (video.source === 'camera' && layer !== undefined && LAYER_RANK[layer] > LAYER_RANK[cap]) capped.set(video.mid, cap);
  }
  return capped;
}
