// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RoomSession } from '../room/session';
import { EmbedBridge, type BridgeWindow, type EmbedJoinRequest } from './bridge';
import { EmbedProvider, useEmbeddedRoom, type EmbeddedRoomActions } from './EmbedProvider';

const PORTAL = 'https://intranet.example.gouv.fr';

/** A bridge in a frame of the portal: `send` plays a command from it, `posted` holds the answers. */
function portalBridge() {
  const posted: Record<string, unknown>[] = [];
  const parent = { postMessage: (message: Record<string, unknown>) => posted.push(message) };
  let listener: ((event: MessageEvent) => void) | null = null;
  const win: BridgeWindow = {
    parent: parent as unknown as Window,
    location: { ancestorOrigins: [PORTAL] },
    addEventListener: (_, l) => (listener = l),
    removeEventListener: () => (listener = null),
  };
  const bridge = new EmbedBridge(win, [PORTAL], 'abc-defg-hij');
  bridge.start();
  const send = (fields: Record<string, unknown>) =>
    act(() => listener?.({ data: { visio: 'embed', version: 1, ...fields }, origin: PORTAL, source: parent } as unknown as MessageEvent));
  return { bridge, posted, send };
}

/** A session that records what it is asked (the hook also attaches the bridge to it). */
function fakeSession() {
  const calls: string[] = [];
  const session = {
    on: () => () => undefined,
    self: null,
    participants: [],
    localState: { audio: true, video: true, microphoneTrack: null, cameraTrack: null, screenTrack: null },
    setMicrophoneEnabled: (enabled: boolean) => calls.push(`microphone ${enabled}`),
    setCameraEnabled: (enabled: boolean) => calls.push(`camera ${enabled}`),
  };
  return { session: session as unknown as RoomSession, calls };
}

let root: Root | null = null;
beforeEach(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});
afterEach(() => {
  if (root) act(() => root?.unmount());
  root = null;
});

/** Renders the hook as the room page does; returns the join request it hands to pre-join. */
function renderRoom(bridge: EmbedBridge, actions: EmbeddedRoomActions) {
  const seen: { request: EmbedJoinRequest | null } = { request: null };
  function Room(props: EmbeddedRoomActions) {
    seen.request = useEmbeddedRoom(props);
    return null;
  }
  const container = document.createElement('div');
  root = createRoot(container);
  const render = (next: EmbeddedRoomActions) =>
    act(() =>
      root?.render(
        <EmbedProvider bridge={bridge}>
          <Room {...next} />
        </EmbedProvider>,
      ),
    );
  render(actions);
  return { seen, render };
}

describe('the room page under an embedding page', () => {
  it('hands a join to the pre-join screen, including one sent before the page was there', () => {
    const { bridge, send } = portalBridge();
    send({ type: 'join', displayName: 'Zoë', skipPreJoin: true });
    const { seen } = renderRoom(bridge, { session: null, leave: () => undefined, rejoin: null });
    expect(seen.request).toEqual({ displayName: 'Zoë', skipPreJoin: true });
    send({ type: 'join', displayName: 'Camille' });
    expect(seen.request).toEqual({ displayName: 'Camille', skipPreJoin: false });
  });

  it('says not_joined to mute or leave before joining', () => {
    const { bridge, posted, send } = portalBridge();
    const leave = vi.fn();
    renderRoom(bridge, { session: null, leave, rejoin: null });
    send({ type: 'setAudioMuted', muted: true });
    send({ type: 'leave' });
    expect(leave).not.toHaveBeenCalled();
    expect(posted.slice(1)).toMatchObject([
      { type: 'error', code: 'not_joined' },
      { type: 'error', code: 'not_joined' },
    ]);
  });

  it('mutes, turns the camera off and leaves the meeting on screen; a second join is refused', () => {
    const { bridge, posted, send } = portalBridge();
    const { session, calls } = fakeSession();
    const leave = vi.fn();
    renderRoom(bridge, { session, leave, rejoin: null });
    send({ type: 'setAudioMuted', muted: true });
    send({ type: 'setVideoMuted', muted: true });
    send({ type: 'setAudioMuted', muted: false });
    send({ type: 'join', displayName: 'Zoë' });
    send({ type: 'leave' });
    expect(calls).toEqual(['microphone false', 'camera false', 'microphone true']);
    expect(leave).toHaveBeenCalledTimes(1);
    expect(posted.slice(1)).toMatchObject([{ type: 'error', code: 'already_joined' }]);
  });

  it('joins again under the new name from the "you left" screen', () => {
    const { bridge, send } = portalBridge();
    const rejoin = vi.fn();
    const { render } = renderRoom(bridge, { session: null, leave: () => undefined, rejoin: null });
    render({ session: null, leave: () => undefined, rejoin });
    send({ type: 'join', displayName: 'Zoë' });
    expect(rejoin).toHaveBeenCalledWith('Zoë');
  });
});
