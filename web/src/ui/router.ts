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
  | { page: 'meetings' };

export function matchRoute(pathname: string): Route {
  const segments = pathname.split('/').filter(Boolean);
  if (segments.length === 0) return { page: 'home' };
  if (segments.length === 1 && segments[0] === 'rooms') return { page: 'rooms' };
  if (segments.length === 1 && segments[0] === 'meetings') return { page: 'meetings' };
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
