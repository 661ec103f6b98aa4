/** The REST API for rooms (`/api/v1/rooms`). */

export interface CreatedRoom {
  slug: string;
  url: string;
  created_at: string;
}

export interface RoomInfo {
  slug: string;
  created_at: string;
  participant_count: number;
  /** The meeting is being recorded now (said on the pre-join screen). */
  recording?: boolean;
  /** The meeting going on now is being transcribed (the pre-join screen says so). */
  transcribing?: boolean;
}

/** A failed API call: `code` is the server's error code, or `network` / `timeout` / `http_<status>`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** How long an API call may take, answer body included, before it fails with code `timeout`. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * One API call. It always settles: a server that never answers (or never finishes the body) fails
 * with `timeout` after `timeoutMs`, so no page waits forever on it.
 */
export async function request<T>(
  path: string,
  init: RequestInit = {},
  timeoutMs: number = REQUEST_TIMEOUT_MS,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      reject(new ApiError('timeout', `no answer from ${path} within ${timeoutMs} ms`, null));
    }, timeoutMs);
  });
  try {
    // The race makes the deadline hold even where fetch ignores the abort signal.
    return await Promise.race([send<T>(path, { ...init, signal: controller.signal }, () => timedOut), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function send<T>(path: string, init: RequestInit, timedOut: () => boolean): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...init.headers } });
  } catch (error) {
    throw new ApiError(timedOut() ? 'timeout' : 'network', String(error), null);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === 'string' ? error.code : `http_${response.status}`;
    const message = typeof error?.message === 'string' ? error.message : response.statusText;
    throw new ApiError(code, message, response.status);
  }
  return body as T;
}

/** Creates a room; a signed-in person owns it (their CSRF token goes with the request). */
export async function createRoom(): Promise<CreatedRoom> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const me = await request<{ csrf_token: string }>('/api/v1/me').catch(() => null);
  if (me) headers['X-CSRF-Token'] = me.csrf_token;
  return request<CreatedRoom>('/api/v1/rooms', { method: 'POST', headers, body: '{}' });
}

export function getRoom(slug: string, timeoutMs?: number): Promise<RoomInfo> {
  return request<RoomInfo>(`/api/v1/rooms/${encodeURIComponent(slug)}`, {}, timeoutMs);
}

/**
 * The meeting code in what a person typed or pasted: a full link or a code, trimmed and lowercased,
 * the last path segment (query and fragment ignored). Empty when there is nothing usable.
 */
export function normalizeMeetingCode(input: string): string {
  let text = input.trim();
  if (!text) return '';
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = new URL(text).pathname;
  } catch {
    // Not a URL after all: treat it as a path or a code.
  }
  text = text.split(/[?#]/)[0] ?? '';
  const segments = text.split('/').filter((segment) => segment.length > 0);
  const last = segments[segments.length - 1] ?? '';
  let code: string;
  try {
    code = decodeURIComponent(last);
  } catch {
    code = last;
  }
  return code.trim().toLowerCase();
}

/** The outcome of a room lookup, as a value: `code` is an ApiError code (`timeout` included), or `network`. */
export type RoomLookup = { ok: true; room: RoomInfo } | { ok: false; code: string };

/** Looks a room up; never rejects, and settles within `timeoutMs` (then with code `timeout`). */
export function lookUpRoom(slug: string, timeoutMs?: number): Promise<RoomLookup> {
  return getRoom(slug, timeoutMs).then(
    (room) => ({ ok: true, room }),
    (error: unknown) => ({ ok: false, code: error instanceof ApiError ? error.code : 'network' }),
  );
}
