import type { ConnectionStatus, ServerNotice } from '../room/session';

/**
 * What the connection banner says, from the session's status over time (pure; ReconnectBanner.tsx
 * renders it):
 * - `connecting`: before the first `joined`;
 * - `reconnecting`: the connection dropped and the session is recovering (ICE restart, then rejoin);
 * - `failed`: still not back after `RECONNECT_FAILED_AFTER_MS`: say so plainly and offer "Rejoin"
 *   (the session keeps trying meanwhile);
 * - `reconnected`: back, shown for `RECONNECTED_SHOWN_MS`;
 * - `moving`, `unavailable`: while connecting or reconnecting, what the server said about the
 *   wait (the meeting moves to another server; the service is briefly unavailable), until
 *   `failed`;
 * - `none`: nothing to say.
 */
export type BannerKind = 'none' | 'connecting' | 'reconnecting' | 'failed' | 'reconnected' | 'moving' | 'unavailable';

export const RECONNECT_FAILED_AFTER_MS = 30_000;
export const RECONNECTED_SHOWN_MS = 4_000;

export interface ConnectionTimeline {
  status: ConnectionStatus;
  /** When `status` began (or when the person last pressed "Rejoin"), in milliseconds. */
  since: number;
  /** When the connection came back after reconnecting; null when it has not lately. */
  recoveredAt: number | null;
}

export function startTimeline(status: ConnectionStatus, now: number): ConnectionTimeline {
  return { status, since: now, recoveredAt: null };
}

/** The timeline after the session's status became `status` at `now`. */
export function followStatus(timeline: ConnectionTimeline, status: ConnectionStatus, now: number): ConnectionTimeline {
  if (status === timeline.status) return timeline;
  const recovered = status === 'connected' && timeline.status === 'reconnecting';
  return { status, since: now, recoveredAt: recovered ? now : null };
}

/**
 * The banner at `now`, and in how many milliseconds it changes by itself (null: not by itself);
 * `notice` is the server's word on the wait (`ServerNotice`).
 */
export function bannerAt(
  timeline: ConnectionTimeline,
  now: number,
  notice: ServerNotice = null,
): { kind: BannerKind; changesInMs: number | null } {
  const banner = connectionBanner(timeline, now);
  if (notice !== null && (banner.kind === 'connecting' || banner.kind === 'reconnecting')) {
    return { kind: notice, changesInMs: banner.changesInMs };
  }
  return banner;
}

function connectionBanner(timeline: ConnectionTimeline, now: number): { kind: BannerKind; changesInMs: number | null } {
  const elapsed = now - timeline.since;
  switch (timeline.status) {
    case 'connecting':
      return { kind: 'connecting', changesInMs: null };
    case 'reconnecting':
      return elapsed >= RECONNECT_FAILED_AFTER_MS
        ? { kind: 'failed', changesInMs: null }
        : { kind: 'reconnecting', changesInMs: RECONNECT_FAILED_AFTER_MS - elapsed };
    case 'connected': {
      if (timeline.recoveredAt === null) return { kind: 'none', changesInMs: null };
      const shown = now - timeline.recoveredAt;
      return shown < RECONNECTED_SHOWN_MS
        ? { kind: 'reconnected', changesInMs: RECONNECTED_SHOWN_MS - shown }
        : { kind: 'none', changesInMs: null };
    }
    case 'left':
    case 'failed':
      return { kind: 'none', changesInMs: null };
  }
}
