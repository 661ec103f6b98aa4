import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUDGET_KBPS,
  LAYER_KBPS,
  diffLayers,
  layerForWidth,
  planAllHigh,
  planLayers,
  type ReceivedVideo,
  type RenderedTile,
} from './layerPlanner';
import { LayerSubscription, MAX_STREAMS_PER_MESSAGE } from './layerSubscription';
import type { ClientMessage } from './protocol';

const camera = (n: number): ReceivedVideo => ({ mid: `v${n}`, participantId: `p${n}`, source: 'camera' });
const tile = (n: number, width: number, extra: Partial<RenderedTile> = {}): RenderedTile => ({
  participantId: `p${n}`,
  source: 'camera',
  width,
  height: (width * 9) / 16,
  onScreen: true,
  ...extra,
});
const visible = { pageVisible: true };
const total = (plan: Map<string, keyof typeof LAYER_KBPS>) => [...plan.values()].reduce((sum, l) => sum + LAYER_KBPS[l], 0);

describe('layerForWidth', () => {
  it('picks low under 320 device pixels, medium under 640, high above', () => {
    expect(layerForWidth(160)).toBe('low');
    expect(layerForWidth(319)).toBe('low');
    expect(layerForWidth(320)).toBe('medium');
    expect(layerForWidth(639)).toBe('medium');
    expect(layerForWidth(640)).toBe('high');
    expect(layerForWidth(2560)).toBe('high');
  });
});

describe('planLayers', () => {
  it('gives each shown video the layer its tile size needs', () => {
    const plan = planLayers([camera(1), camera(2), camera(3)], [tile(1, 200), tile(2, 500), tile(3, 1200)], visible);
    expect(Object.fromEntries(plan)).toEqual({ v1: 'low', v2: 'medium', v3: 'high' });
  });

  it('turns off videos without a tile, off screen or of zero size', () => {
    const plan = planLayers([camera(1), camera(2), camera(3)], [tile(2, 500, { onScreen: false }), tile(3, 0)], visible);
    expect(Object.fromEntries(plan)).toEqual({ v1: 'off', v2: 'off', v3: 'off' });
  });

  it('turns every video off while the page is hidden', () => {
    const plan = planLayers([camera(1), camera(2)], [tile(1, 1200), tile(2, 300)], { pageVisible: false });
    expect([...plan.values()]).toEqual(['off', 'off']);
  });

  it('keeps a screen share on whatever its size, and off without a tile', () => {
    const screen: ReceivedVideo = { mid: 's1', participantId: 'p1', source: 'screen' };
    const shown = planLayers([screen], [{ ...tile(1, 100), source: 'screen' }], visible);
    expect(shown.get('s1')).toBe('high');
    expect(planLayers([screen], [tile(1, 100)], visible).get('s1')).toBe('off');
  });

  it('uses the larger visible copy when a video is shown twice', () => {
    const plan = planLayers([camera(1)], [tile(1, 200), tile(1, 900), tile(1, 2000, { onScreen: false })], visible);
    expect(plan.get('v1')).toBe('high');
  });

  it('keeps six medium tiles as they are: they are the budget', () => {
    const videos = [1, 2, 3, 4, 5, 6].map(camera);
    const plan = planLayers(videos, videos.map((_, i) => tile(i + 1, 500)), visible);
    expect([...plan.values()].every((l) => l === 'medium')).toBe(true);
    expect(total(plan)).toBe(DEFAULT_BUDGET_KBPS);
  });

  it('lowers the smallest, unpinned, non-speaking tiles first when over budget', () => {
    const videos = [1, 2, 3].map(camera);
    // 3 × high = 2700 kbit/s > 1800.
    const tiles = [tile(1, 700), tile(2, 800, { speaking: true }), tile(3, 650, { pinned: true })];
    const plan = planLayers(videos, tiles, visible);
    expect(total(plan)).toBeLessThanOrEqual(DEFAULT_BUDGET_KBPS);
    expect(Object.fromEntries(plan)).toEqual({ v1: 'medium', v2: 'medium', v3: 'high' });
  });

  it('brings the smallest tile down before a larger one of the same rank', () => {
    const videos = [1, 2, 3, 4].map(camera);
    const plan = planLayers(videos, [tile(1, 1000), tile(2, 700), tile(3, 900), tile(4, 800)], visible);
    expect(total(plan)).toBeLessThanOrEqual(DEFAULT_BUDGET_KBPS);
    expect(plan.get('v1')).toBe('high');
    expect(plan.get('v2')).toBe('medium');
  });

  it('never goes below low for a shown video, even past the budget', () => {
    const videos = Array.from({ length: 25 }, (_, i) => camera(i));
    const plan = planLayers(videos, videos.map((_, i) => tile(i, 700)), visible);
    expect([...plan.values()].every((l) => l === 'low')).toBe(true);
  });

  it('honours a different budget', () => {
    const plan = planLayers([camera(1), camera(2)], [tile(1, 1000), tile(2, 1100)], { pageVisible: true, budgetKbps: 400 });
    expect(Object.fromEntries(plan)).toEqual({ v1: 'low', v2: 'medium' });
  });
});

describe('planAllHigh', () => {
  it('asks for every video at high (no layer selection)', () => {
    expect(Object.fromEntries(planAllHigh([camera(1), camera(2)]))).toEqual({ v1: 'high', v2: 'high' });
  });
});

describe('diffLayers', () => {
  it('lists only what changed', () => {
    const sent = new Map([['v1', 'low' as const], ['v2', 'high' as const]]);
    const next = new Map([['v1', 'low' as const], ['v2', 'off' as const], ['v3', 'medium' as const]]);
    expect(diffLayers(sent, next)).toEqual([
      { mid: 'v2', layer: 'off' },
      { mid: 'v3', layer: 'medium' },
    ]);
    expect(diffLayers(next, next)).toEqual([]);
  });
});

describe('LayerSubscription', () => {
  const setup = () => {
    const sent: ClientMessage[] = [];
    let id = 0;
    const layers = new LayerSubscription((message) => {
      sent.push(message);
      return ++id;
    });
    return { sent, layers };
  };

  it('sends nothing before an offer names the mids, then only the differences', () => {
    const { sent, layers } = setup();
    layers.flowing('v1');
    layers.want(new Map([['v1', 'high'], ['v2', 'off']]));
    expect(sent).toEqual([]);
    layers.offered(new Set(['v1', 'v2']));
    expect(sent).toEqual([{ type: 'subscription.set', streams: [{ mid: 'v1', layer: 'high' }, { mid: 'v2', layer: 'off' }] }]);
    layers.want(new Map([['v1', 'high'], ['v2', 'low']]));
    expect(sent[1]).toEqual({ type: 'subscription.set', streams: [{ mid: 'v2', layer: 'low' }] });
    layers.want(new Map([['v1', 'high'], ['v2', 'low']]));
    expect(sent).toHaveLength(2);
  });

  it('sends everything again after a new offer, leaving out mids it no longer has', () => {
    const { sent, layers } = setup();
    layers.offered(new Set(['v1', 'v2']));
    layers.flowing('v1');
    layers.want(new Map([['v1', 'high'], ['v2', 'medium']]));
    layers.offered(new Set(['v1']));
    expect(sent.at(-1)).toEqual({ type: 'subscription.set', streams: [{ mid: 'v1', layer: 'high' }] });
  });

  it('keeps a new video at the low layer until its media flows, then raises it', () => {
    const { sent, layers } = setup();
    layers.want(new Map([['v1', 'high'], ['v2', 'off']]));
    layers.offered(new Set(['v1', 'v2']));
    // A hidden video goes off at once; a shown one waits at low for its first packets.
    expect(sent).toEqual([{ type: 'subscription.set', streams: [{ mid: 'v1', layer: 'low' }, { mid: 'v2', layer: 'off' }] }]);
    layers.flowing('v1');
    expect(sent.at(-1)).toEqual({ type: 'subscription.set', streams: [{ mid: 'v1', layer: 'high' }] });
    layers.flowing('v1');
    expect(sent).toHaveLength(2);
  });

  it('starts a mid afresh once an offer dropped it (Janus may reuse it for another feed)', () => {
    const { sent, layers } = setup();
    layers.want(new Map([['v1', 'high']]));
    layers.offered(new Set(['v1']));
    layers.flowing('v1');
    layers.offered(new Set());
    layers.offered(new Set(['v1']));
    expect(sent.at(-1)).toEqual({ type: 'subscription.set', streams: [{ mid: 'v1', layer: 'low' }] });
    layers.flowing('v1');
    expect(sent.at(-1)).toEqual({ type: 'subscription.set', streams: [{ mid: 'v1', layer: 'high' }] });
  });

  it('does not lower a video that already flows when a new offer adds another', () => {
    const { sent, layers } = setup();
    layers.want(new Map([['v1', 'high'], ['v2', 'high']]));
    layers.offered(new Set(['v1']));
    layers.flowing('v1');
    layers.offered(new Set(['v1', 'v2']));
    expect(sent.at(-1)).toEqual({ type: 'subscription.set', streams: [{ mid: 'v1', layer: 'high' }, { mid: 'v2', layer: 'low' }] });
  });

  it('sends again what a refused request asked for', () => {
    const { sent, layers } = setup();
    layers.offered(new Set(['v1']));
    layers.flowing('v1');
    layers.want(new Map([['v1', 'high']]));
    expect(layers.refused(12345)).toBe(false);
    expect(layers.refused(1)).toBe(true);
    layers.want(new Map([['v1', 'high']]));
    expect(sent).toHaveLength(2);
  });

  it('splits a long request into messages the server accepts', () => {
    const { sent, layers } = setup();
    const mids = Array.from({ length: MAX_STREAMS_PER_MESSAGE + 4 }, (_, i) => `v${i}`);
    layers.offered(new Set(mids));
    layers.want(new Map(mids.map((mid) => [mid, 'off'])));
    expect(sent.map((m) => (m.type === 'subscription.set' ? m.streams.length : 0))).toEqual([MAX_STREAMS_PER_MESSAGE, 4]);
  });
});
