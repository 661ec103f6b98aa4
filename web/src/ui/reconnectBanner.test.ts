import { describe, expect, it } from 'vitest';
import { bannerAt, followStatus, RECONNECT_FAILED_AFTER_MS, RECONNECTED_SHOWN_MS, startTimeline } from './reconnectBanner';

describe('the connection banner', () => {
  it('says nothing once connected for the first time', () => {
    const joined = followStatus(startTimeline('connecting', 0), 'connected', 500);
    expect(bannerAt(startTimeline('connecting', 0), 100).kind).toBe('connecting');
    expect(bannerAt(joined, 600)).toEqual({ kind: 'none', changesInMs: null });
  });

  it('says "Reconnecting…", then "Reconnected" for a few seconds, then nothing', () => {
    let timeline = followStatus(startTimeline('connected', 0), 'reconnecting', 1000);
    expect(bannerAt(timeline, 2000)).toEqual({ kind: 'reconnecting', changesInMs: RECONNECT_FAILED_AFTER_MS - 1000 });
    timeline = followStatus(timeline, 'connected', 9000);
    expect(bannerAt(timeline, 9000)).toEqual({ kind: 'reconnected', changesInMs: RECONNECTED_SHOWN_MS });
    expect(bannerAt(timeline, 9000 + RECONNECTED_SHOWN_MS).kind).toBe('none');
  });

  it('says it failed after a while without the connection, until it comes back', () => {
    let timeline = followStatus(startTimeline('connected', 0), 'reconnecting', 1000);
    expect(bannerAt(timeline, 1000 + RECONNECT_FAILED_AFTER_MS - 1).kind).toBe('reconnecting');
    expect(bannerAt(timeline, 1000 + RECONNECT_FAILED_AFTER_MS)).toEqual({ kind: 'failed', changesInMs: null });
    // "Rejoin" pressed: reconnecting again, for another while.
    timeline = { ...timeline, since: 50_000 };
    expect(bannerAt(timeline, 50_001).kind).toBe('reconnecting');
    timeline = followStatus(timeline, 'connected', 52_000);
    expect(bannerAt(timeline, 52_000).kind).toBe('reconnected');
  });

  it('keeps its timeline when the status repeats, and says nothing after leaving', () => {
    const timeline = followStatus(startTimeline('connected', 0), 'reconnecting', 1000);
    expect(followStatus(timeline, 'reconnecting', 5000)).toBe(timeline);
    expect(bannerAt(followStatus(timeline, 'left', 6000), 6000).kind).toBe('none');
  });
});

describe('the connection banner with the server\'s word on the wait', () => {
  it('says the meeting moves to another server, or that the service is briefly away, while reconnecting', () => {
    const timeline = followStatus(startTimeline('connected', 0), 'reconnecting', 1000);
    expect(bannerAt(timeline, 2000, 'moving')).toEqual({ kind: 'moving', changesInMs: RECONNECT_FAILED_AFTER_MS - 1000 });
    expect(bannerAt(timeline, 2000, 'unavailable').kind).toBe('unavailable');
    expect(bannerAt(startTimeline('connecting', 0), 10, 'unavailable').kind).toBe('unavailable');
  });

  it('still says it failed after a while, and nothing once back', () => {
    const timeline = followStatus(startTimeline('connected', 0), 'reconnecting', 1000);
    expect(bannerAt(timeline, 1000 + RECONNECT_FAILED_AFTER_MS, 'moving').kind).toBe('failed');
    const back = followStatus(timeline, 'connected', 3000);
    expect(bannerAt(back, 3000, null).kind).toBe('reconnected');
    expect(bannerAt(followStatus(startTimeline('connecting', 0), 'connected', 10), 20, 'moving').kind).toBe('none');
  });
});
