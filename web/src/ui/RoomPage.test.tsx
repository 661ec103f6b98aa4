// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RoomLookup } from '../api/rooms';
import type { SignalingChannel } from '../room/signaling';
import { reactPage } from '../testing/reactPage';
import { RoomPage } from './RoomPage';

// The pre-join screen itself (camera, devices, account) is not what these tests are about.
vi.mock('./PreJoin', () => ({ PreJoin: () => <p data-testid="prejoin">pre-join</p> }));

const ROOM: RoomLookup = { ok: true, room: { slug: 'abc-defg-hij', created_at: '2026-01-01T00:00:00Z', participant_count: 0 } };

/** A lookup whose outcome the test decides, and when. */
function controlledLookup() {
  let settle!: (result: RoomLookup) => void;
  const lookup = new Promise<RoomLookup>((resolve) => {
    settle = resolve;
  });
  return { lookup, settle };
}

const fakeSocket = { close: () => undefined, connect: () => undefined } as unknown as SignalingChannel;

const page = reactPage({
  actEnvironment: false,
  navigator: { mediaDevices: { getUserMedia: () => Promise.reject(new Error('no camera')) } },
});

beforeEach(() => {
  window.visio = { session: null };
  vi.stubGlobal('RTCPeerConnection', function RTCPeerConnection() {});
});

/** Resolves once `predicate` holds, checking every few milliseconds (React commits in later tasks). */
async function waitForPage(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`page still shows: ${page.container.textContent}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const showsPreJoin = () => page.container.querySelector('[data-testid="prejoin"]') !== null;

describe('RoomPage room lookup', () => {
  it('opens pre-join when the early lookup settles between the first render and its effects', async () => {
    // As main.tsx does: the page renders before the lookup settles, and main.tsx records the result
    // on the same object when it does. Here it settles right after the "Loading…" screen is
    // committed, before React runs the page's effects.
    const { lookup, settle } = controlledLookup();
    const prefetched: { lookup: Promise<RoomLookup>; result?: RoomLookup; socket: SignalingChannel } = {
      lookup,
      socket: fakeSocket,
    };
    void lookup.then((result) => {
      prefetched.result = result;
    });
    const loadingShown = new MutationObserver(() => {
      if (page.container.textContent?.includes('Loading')) {
        loadingShown.disconnect();
        settle(ROOM);
      }
    });
    loadingShown.observe(page.container, { childList: true, subtree: true });
    // Rendered as the app is (no act()): React runs effects in a later task than the commit.
    page.showUnwrapped(<RoomPage slug="abc-defg-hij" prefetched={prefetched} />);
    await waitForPage(showsPreJoin);
  });

  it('offers "Try again" when the lookup times out, and a new lookup opens pre-join', async () => {
    const fetchRoom = vi.fn(() => Promise.resolve(new Response(JSON.stringify(ROOM.ok && ROOM.room), { status: 200 })));
    vi.stubGlobal('fetch', fetchRoom);
    page.showUnwrapped(
      <RoomPage
        slug="abc-defg-hij"
        prefetched={{ lookup: Promise.resolve({ ok: false, code: 'timeout' }), socket: fakeSocket }}
      />,
    );
    const retry = () => [...page.container.querySelectorAll('button')].find((button) => button.textContent === 'Try again');
    await waitForPage(() => retry() !== undefined);
    const heading = page.container.querySelector('h1');
    expect(heading?.textContent).toBe('Loading failed');
    expect(page.container.textContent).toContain('Visio took too long to answer');
    await waitForPage(() => document.activeElement === heading); // Read first by a screen reader.
    expect(fetchRoom).not.toHaveBeenCalled();

    retry()?.click();

    await waitForPage(showsPreJoin);
    expect(fetchRoom).toHaveBeenCalledOnce();
  });
});
