import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomSession } from './session';
import { SignalingChannel } from './signaling';

/** A WebSocket double: the test opens, feeds and drops it by hand. */
class FakeSocket {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

/** A peer connection that accepts everything and never connects: media is not what is tested. */
function fakePeerConnection(): RTCPeerConnection {
  const target = {
    connectionState: 'new',
    iceConnectionState: 'new',
    signalingState: 'stable',
    localDescription: null,
    getConfiguration: () => ({}),
    setConfiguration: () => undefined,
    getTransceivers: () => [],
    getSenders: () => [],
    getReceivers: () => [],
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    close: () => undefined,
  };
  return new Proxy(target, {
    get: (object, name) =>
      name in object
        ? object[name as keyof typeof object]
        : () => new Promise(() => undefined), // offers and the like: pending forever
    set: () => true,
  }) as unknown as RTCPeerConnection;
}

function joined(id: string, token: string | undefined) {
  return {
    type: 'joined',
    reply_to: 1,
    participant: { id, name: 'Alice', audio: false, video: false, screen: false, moderator: true, joined_at: '2026-12-02T12:00:00Z' },
    participants: [],
    ice_servers: [],
    limits: { max_message_bytes: 65536, rate_per_second: 20, rate_burst: 40 },
    captions: { enabled: false, language: 'auto' },
    locked: false,
    ...(token ? { resume_token: token } : {}),
  };
}

function makeSession(sharedDevice = false) {
  const sockets: FakeSocket[] = [];
  const signaling = new SignalingChannel('ws://visio.test/api/v1/rooms/abc-defg-hij/ws', {
    createSocket: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket as unknown as WebSocket;
    },
    backoff: { initialMs: 100, maxMs: 100 },
  });
  const session = new RoomSession({
    url: signaling.url,
    name: 'Alice',
    audio: false,
    video: false,
    sharedDevice,
    signaling,
    createPeerConnection: fakePeerConnection,
    acquireCamera: () => Promise.reject(new Error('no camera here')),
    acquireMicrophone: () => Promise.reject(new Error('no microphone here')),
  });
  return { session, sockets };
}

const joins = (socket: FakeSocket) => socket.sent.filter((message) => message.type === 'join');

describe('RoomSession resume tokens', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says a shared room device is one in every join (and says nothing otherwise)', () => {
    const shared = makeSession(true);
    shared.session.start();
    shared.sockets[0]!.open();
    expect(joins(shared.sockets[0]!)).toEqual([expect.objectContaining({ type: 'join', shared_device: true })]);
    shared.sockets[0]!.receive(joined('p_room', 'r1.first.sig'));
    shared.sockets[0]!.drop(1006);
    vi.advanceTimersByTime(150);
    shared.sockets[1]!.open();
    expect(joins(shared.sockets[1]!)).toEqual([expect.objectContaining({ shared_device: true, resume: 'r1.first.sig' })]);
    const alone = makeSession();
    alone.session.start();
    alone.sockets[0]!.open();
    expect(joins(alone.sockets[0]!)[0]).not.toHaveProperty('shared_device');
  });

  it('sends no token on the first join, then the latest one when it rejoins', () => {
    const { session, sockets } = makeSession();
    session.start();
    sockets[0]!.open();
    expect(joins(sockets[0]!)).toHaveLength(1);
    expect(joins(sockets[0]!)[0]).not.toHaveProperty('resume');
    sockets[0]!.receive(joined('p_alice', 'r1.first.sig'));
    sockets[0]!.receive({ type: 'resume.token', token: 'r1.fresher.sig' });

    sockets[0]!.drop(1006); // the network went away without a close
    vi.advanceTimersByTime(150);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    expect(joins(sockets[1]!)).toEqual([expect.objectContaining({ type: 'join', name: 'Alice', resume: 'r1.fresher.sig' })]);

    // Back as the same participant: the token of that `joined` is the one kept now.
    sockets[1]!.receive(joined('p_alice', 'r1.second.sig'));
    sockets[1]!.drop(1006);
    vi.advanceTimersByTime(150);
    sockets[2]!.open();
    expect(joins(sockets[2]!)[0]).toMatchObject({ resume: 'r1.second.sig' });
    session.leave();
  });

  it('rejoins without a token when the server gave none', () => {
    const { session, sockets } = makeSession();
    session.start();
    sockets[0]!.open();
    sockets[0]!.receive(joined('p_alice', undefined));
    sockets[0]!.drop(1006);
    vi.advanceTimersByTime(150);
    sockets[1]!.open();
    expect(joins(sockets[1]!)[0]).not.toHaveProperty('resume');
    session.leave();
  });

  it('keeps the token out of storage', () => {
    const stored = vi.fn();
    vi.stubGlobal('localStorage', { setItem: stored, getItem: () => null, removeItem: () => undefined });
    vi.stubGlobal('sessionStorage', { setItem: stored, getItem: () => null, removeItem: () => undefined });
    try {
      const { session, sockets } = makeSession();
      session.start();
      sockets[0]!.open();
      sockets[0]!.receive(joined('p_alice', 'r1.secret.sig'));
      session.leave();
      expect(stored).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('RoomSession: what the server says about a wait', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says the meeting moves on 1012, and rejoins after the first backoff step', () => {
    const { session, sockets } = makeSession();
    const notices: (string | null)[] = [];
    session.on('server-notice', (notice) => notices.push(notice));
    session.start();
    sockets[0]!.open();
    sockets[0]!.receive(joined('p_alice', 'r1.first.sig'));
    sockets[0]!.drop(1012); // the room moves to another app server
    expect(session.status).toBe('reconnecting');
    expect(session.serverNotice).toBe('moving');
    vi.advanceTimersByTime(150);
    sockets[1]!.open();
    expect(joins(sockets[1]!)[0]).toMatchObject({ resume: 'r1.first.sig' });
    sockets[1]!.receive(joined('p_alice', 'r1.second.sig'));
    expect(session.serverNotice).toBeNull();
    expect(notices).toEqual(['moving', null]);
    session.leave();
  });

  it('says the service is briefly unavailable on service_unavailable and on 1013, and keeps trying', () => {
    const { session, sockets } = makeSession();
    session.start();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'error', code: 'service_unavailable', message: 'waiting for Redis', fatal: false });
    expect(session.status).toBe('connecting');
    expect(session.serverNotice).toBe('unavailable');
    sockets[0]!.drop(1013); // it stayed away: try again later
    expect(session.serverNotice).toBe('unavailable');
    vi.advanceTimersByTime(150);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    sockets[1]!.receive(joined('p_alice', undefined));
    expect(session.status).not.toBe('reconnecting');
    expect(session.serverNotice).toBeNull();
    session.leave();
  });

  it('says nothing of the server for a network drop', () => {
    const { session, sockets } = makeSession();
    session.start();
    sockets[0]!.open();
    sockets[0]!.receive(joined('p_alice', undefined));
    sockets[0]!.drop(1006);
    expect(session.status).toBe('reconnecting');
    expect(session.serverNotice).toBeNull();
    session.leave();
  });
});
