import { useSyncExternalStore } from 'react';

/** A tiny path router: `/`, `/rooms` (the signed-in person's rooms) and `/<meeting code>`. */

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export type Route =
  | { page: 'home' }
  | { page: 'rooms' }
  | { page: 'room'; slug: string }
  | { page: 'not-found' }
  | { page: 'records'; slug: string }
  | { page: 'transcript-search' }
  | { page: 'meetings' }
  | { page: 'schedule'; meetingId?: string }
  | { page: 'calendar' };

export function matchRoute(pathname: string): Route {
  const segments = pathname.split('/').filter(Boolean);
  if (segments.length === 0) return { page: 'home' };
  if (segments.length === 1 && segments[0] === 'rooms') return { page: 'rooms' };
  // A room's recordings and transcripts, and the search across them (never room codes).
  if (segments.length === 1 && segments[0] === 'transcripts') return { page: 'transcript-search' };
  if (segments.length === 3 && segments[0] === 'rooms' && segments[2] === 'records' && segments[1]) {
    try {
      return { page: 'records', slug: decodeURIComponent(segments[1]) };
    } catch {
      return { page: 'not-found' };
    }
  }
  if (segments[0] === 'meetings') {
    if (segments.length === 1) return { page: 'meetings' };
    if (segments.length === 2 && segments[1] === 'new') return { page: 'schedule' };
    if (segments.length === 2 && segments[1] === 'calendar') return { page: 'calendar' };
    if (segments.length === 3 && segments[2] === 'edit' && /^[0-9a-f]{32}$/.test(segments[1] ?? ''))
      return { page: 'schedule', meetingId: segments[1] as string };
    return { page: 'not-found' };
  }
  if (segments.length === 1 && segments[0]) {
    let slug: string;
    try {
      slug = decodeURIComponent(segments[0]);
    } catch {
      return { page: 'not-found' };
    }
    return { page: 'room', slug };
  }
  return { page: 'not-found' };
}
