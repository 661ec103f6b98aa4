import { afterEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from '../room/emitter';
import type { ParticipantInfo } from '../room/protocol';
import type { LocalMediaState, RoomSessionEvents } from '../room/session';
import { EmbedBridge, type BridgeSession, type BridgeWindow } from './bridge';
import { isAllowedOrigin, readAllowedOrigins } from './origins';

const PORTAL = 'https://intranet.example.gouv.fr';
const OTHER = 'https://evil.example.org';

/** A framed page: its parent records what it is sent; `deliver` plays a message event. */
function framedWindow(ancestorOrigins?: string[]) {
  const posted: { message: unknown; target: string }[] = [];
  const parent = { postMessage: (message: unknown, target: string) => posted.push({ message, target }) };
  let listener: ((event: MessageEvent) => void) | null = null;
  const win: BridgeWindow = {
    parent: parent as unknown as Window,
    location: { ancestorOrigins },
    addEventListener: (_, l) => (listener = l),
    removeEventListener: () => (listener = null),
  };
  const deliver = (data: unknown, origin: string, source: unknown = parent) =>
    listener?.({ data, origin, source } as MessageEvent);
  return { win, posted, deliver, events: () => posted.map((p) => (p.message as { type: string }).type) };
}

const hello = { visio: 'embed', version: 1, type: 'hello' };
const cmd = (fields: Record<string, unknown>) => ({ visio: 'embed', version: 1, ...fields });

afterEach(() => vi.restoreAllMocks());

describe('the embedding page, as the meeting sees it', () => {
  it('says ready at once to the parent origin the browser tells, when listed', () => {
    const frame = framedWindow([PORTAL]);
    new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij').start();
    expect(frame.posted).toEqual([{ message: { visio: 'embed', version: 1, type: 'ready', room: 'abc-defg-hij' }, target: PORTAL }]);
  });

  it('says nothing to a parent origin that is not listed, even when asked', () => {
    const frame = framedWindow([OTHER]);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij').start();
    frame.deliver(hello, OTHER);
    expect(frame.posted).toEqual([]);
  });

  it('learns the parent origin from hello where the browser does not tell it, and answers only it', () => {
    const frame = framedWindow();
    new EmbedBridge(frame.win, [PORTAL, 'https://other-portal.example.gouv.fr'], 'abc-defg-hij').start();
    expect(frame.posted).toEqual([]);
    frame.deliver(hello, PORTAL);
    expect(frame.posted.map((p) => p.target)).toEqual([PORTAL]);
    expect(frame.events()).toEqual(['ready']);
  });

  it('ignores messages from other windows, even of a listed origin, and logs the first once', () => {
    const frame = framedWindow([PORTAL]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const bridge = new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij');
    const leave = vi.fn();
    bridge.on('leave', leave);
    bridge.start();
    const opener = { postMessage: () => undefined };
    frame.deliver(cmd({ type: 'leave' }), PORTAL, opener);
    frame.deliver(cmd({ type: 'leave' }), OTHER, opener);
    frame.deliver(cmd({ type: 'leave' }), OTHER);
    frame.deliver(cmd({ type: 'leave' }), 'null');
    expect(leave).not.toHaveBeenCalled();
    expect(frame.events()).toEqual(['ready']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain(PORTAL);
  });

  it('sticks to the first listed origin it heard from', () => {
    const frame = framedWindow();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const second = 'https://other-portal.example.gouv.fr';
    const bridge = new EmbedBridge(frame.win, [PORTAL, second], 'abc-defg-hij');
    const leave = vi.fn();
    bridge.on('leave', leave);
    bridge.start();
    frame.deliver(hello, PORTAL);
    frame.deliver(cmd({ type: 'leave' }), second);
    expect(leave).not.toHaveBeenCalled();
  });

  it('answers an invalid command from the embedding page with an error, acting on nothing', () => {
    const frame = framedWindow([PORTAL]);
    const bridge = new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij');
    const muted = vi.fn();
    bridge.on('setAudioMuted', muted);
    bridge.start();
    frame.deliver(cmd({ type: 'setAudioMuted', muted: 'yes' }), PORTAL);
    frame.deliver({ visio: 'embed', version: 9, type: 'leave' }, PORTAL);
    expect(muted).not.toHaveBeenCalled();
    expect(frame.posted.slice(1).map((p) => p.message)).toMatchObject([
      { type: 'error', code: 'invalid_message' },
      { type: 'error', code: 'unsupported_version' },
    ]);
  });

  it('checks the name of a join like the pre-join form, and keeps a valid one for the pre-join screen', () => {
    const frame = framedWindow([PORTAL]);
    const bridge = new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij');
    const join = vi.fn();
    bridge.on('join', join);
    bridge.start();
    frame.deliver(cmd({ type: 'join', displayName: 'Bob\u202e' }), PORTAL);
    expect(join).not.toHaveBeenCalled();
    expect(frame.posted[1]?.message).toMatchObject({ type: 'error', code: 'invalid_name' });
    frame.deliver(cmd({ type: 'join', displayName: '  Zoë  ', skipPreJoin: true }), PORTAL);
    expect(join).toHaveBeenCalledWith({ displayName: 'Zoë', skipPreJoin: true });
    expect(bridge.takePendingJoin()).toEqual({ displayName: 'Zoë', skipPreJoin: true });
    expect(bridge.takePendingJoin()).toBeNull();
  });

  it('passes the mute and leave commands on', () => {
    const frame = framedWindow([PORTAL]);
    const bridge = new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij');
    const seen: unknown[] = [];
    bridge.on('setAudioMuted', (muted) => seen.push(['audio', muted]));
    bridge.on('setVideoMuted', (muted) => seen.push(['video', muted]));
    bridge.on('leave', () => seen.push('leave'));
    bridge.start();
    frame.deliver(cmd({ type: 'setAudioMuted', muted: true }), PORTAL);
    frame.deliver(cmd({ type: 'setVideoMuted', muted: false }), PORTAL);
    frame.deliver(cmd({ type: 'leave' }), PORTAL);
    expect(seen).toEqual([['audio', true], ['video', false], 'leave']);
  });
});

class FakeSession extends Emitter<RoomSessionEvents> implements BridgeSession {
  self: ParticipantInfo | null = null;
  participants: ParticipantInfo[] = [];
  localState: LocalMediaState = { audio: true, video: true, microphoneTrack: null, cameraTrack: null, screenTrack: null };
  fire<K extends keyof RoomSessionEvents>(name: K, ...args: Parameters<RoomSessionEvents[K]>) {
    this.emit(name, ...args);
  }
}

const person = (id: string, name: string) => ({ id, name }) as ParticipantInfo;

describe("the meeting's events, as the embedding page gets them", () => {
  it('reports joining, arrivals, departures, the microphone and leaving, to the exact origin', () => {
    const frame = framedWindow([PORTAL]);
    const bridge = new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij');
    bridge.start();
    const session = new FakeSession();
    const detach = bridge.attach(session);
    session.participants = [person('p2', 'Bob')];
    session.fire('self', person('p1', 'Alice'));
    session.fire('self', person('p1', 'Alice')); // an update of oneself is no new join
    session.fire('participant-joined', person('p3', 'Carol'));
    session.fire('participant-left', person('p2', 'Bob'), 'left');
    session.fire('local', { ...session.localState, audio: false });
    session.fire('local', { ...session.localState, audio: false, video: false });
    session.fire('status', 'left');
    detach();
    session.fire('participant-joined', person('p4', 'Dan'));
    expect(frame.posted.every((p) => p.target === PORTAL)).toBe(true);
    expect(frame.posted.map((p) => p.message)).toEqual([
      { visio: 'embed', version: 1, type: 'ready', room: 'abc-defg-hij' },
      {
        visio: 'embed',
        version: 1,
        type: 'joined',
        participantId: 'p1',
        participants: [{ id: 'p2', displayName: 'Bob' }],
        audioMuted: false,
        videoMuted: false,
      },
      { visio: 'embed', version: 1, type: 'participantJoined', id: 'p3', displayName: 'Carol' },
      { visio: 'embed', version: 1, type: 'participantLeft', id: 'p2', displayName: 'Bob' },
      { visio: 'embed', version: 1, type: 'audioMutedChanged', muted: true },
      { visio: 'embed', version: 1, type: 'videoMutedChanged', muted: true },
      { visio: 'embed', version: 1, type: 'left' },
    ]);
  });

  it('reports a join that happened before it attached', () => {
    const frame = framedWindow([PORTAL]);
    const bridge = new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij');
    bridge.start();
    const session = new FakeSession();
    session.self = person('p1', 'Alice');
    bridge.attach(session);
    session.fire('self', person('p1', 'Alice'));
    expect(frame.events()).toEqual(['ready', 'joined']);
  });

  it('says ended when a moderator ends the meeting, and passes other fatal errors on', () => {
    const frame = framedWindow([PORTAL]);
    const bridge = new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij');
    bridge.start();
    const session = new FakeSession();
    bridge.attach(session);
    session.fire('error', { code: 'camera_failed', message: 'no camera', fatal: false });
    session.fire('error', { code: 'meeting_ended', message: 'ended', fatal: true });
    session.fire('error', { code: 'removed', message: 'a moderator removed you', fatal: true });
    expect(frame.posted.slice(1).map((p) => p.message)).toMatchObject([
      { type: 'ended' },
      { type: 'error', code: 'removed', message: 'a moderator removed you' },
    ]);
  });

  it('posts nothing before it knows who embeds it', () => {
    const frame = framedWindow();
    const bridge = new EmbedBridge(frame.win, [PORTAL], 'abc-defg-hij');
    bridge.start();
    bridge.post({ type: 'left' });
    expect(frame.posted).toEqual([]);
  });
});

describe('allowed origins', () => {
  it('reads the list the server wrote into the page', () => {
    const doc = {
      querySelector: () => ({ getAttribute: () => `${PORTAL} http://localhost:8080` }),
    } as unknown as Document;
    expect(readAllowedOrigins(doc)).toEqual([PORTAL, 'http://localhost:8080']);
    expect(readAllowedOrigins({ querySelector: () => null } as unknown as Document)).toEqual([]);
  });

  it('compares exactly: no prefix, no other scheme or port, never the opaque origin', () => {
    const allowed = [PORTAL];
    expect(isAllowedOrigin(PORTAL, allowed)).toBe(true);
    expect(isAllowedOrigin(`${PORTAL}.evil.org`, allowed)).toBe(false);
    expect(isAllowedOrigin('http://intranet.example.gouv.fr', allowed)).toBe(false);
    expect(isAllowedOrigin(`${PORTAL}:8443`, allowed)).toBe(false);
    expect(isAllowedOrigin('null', ['null'])).toBe(false);
  });
});
