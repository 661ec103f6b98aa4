import { afterEach, describe, expect, it, vi } from 'vitest';
import { lookUpRoom, normalizeMeetingCode, REQUEST_TIMEOUT_MS } from './rooms';

describe('normalizeMeetingCode', () => {
  it.each([
    ['abc-defg-hij', 'abc-defg-hij'],
    ['  ABC-DEFG-HIJ \n', 'abc-defg-hij'],
    ['https://visio.example.gouv.fr/abc-defg-hij', 'abc-defg-hij'],
    ['https://visio.example.gouv.fr/abc-defg-hij/', 'abc-defg-hij'],
    ['https://visio.example.gouv.fr/abc-defg-hij?lang=fr#x', 'abc-defg-hij'],
    ['visio.example.gouv.fr/Abc-Defg-Hij', 'abc-defg-hij'],
    ['/abc-defg-hij', 'abc-defg-hij'],
    ['', ''],
    ['   ', ''],
    ['https://visio.example.gouv.fr/', ''],
  ])('reads %j as %j', (input, code) => {
    expect(normalizeMeetingCode(input)).toBe(code);
  });
});

describe('lookUpRoom', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('settles with code "timeout" when the server never answers, and aborts the request', async () => {
    vi.useFakeTimers();
    let signal: AbortSignal | null | undefined;
    vi.stubGlobal(
      'fetch',
      vi.fn((_path: string, init?: RequestInit) => {
        signal = init?.signal;
        return new Promise<Response>(() => undefined); // Never answers, even when aborted.
      }),
    );
    const outcome = lookUpRoom('abc-defg-hij');

    await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);

    await expect(outcome).resolves.toEqual({ ok: false, code: 'timeout' });
    expect(signal?.aborted).toBe(true);
  });

  it('reads an unreachable server as "network"', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(lookUpRoom('abc-defg-hij')).resolves.toEqual({ ok: false, code: 'network' });
  });
});
