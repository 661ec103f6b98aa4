import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignalingChannel } from './signaling';

/** A WebSocket double: the test opens, feeds and closes it by hand. */
class FakeSocket {
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  send(data: string) {
    this.sent.push(data);
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

function makeChannel() {
  const sockets: FakeSocket[] = [];
  const channel = new SignalingChannel('ws://visio.test/api/v1/rooms/abc-defg-hij/ws', {
    createSocket: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket as unknown as WebSocket;
    },
    backoff: { initialMs: 100, maxMs: 1000 },
  });
  return { channel, sockets };
}

describe('SignalingChannel', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('numbers requests and parses what comes back', () => {
    const { channel, sockets } = makeChannel();
    const messages: unknown[] = [];
    channel.on('message', (message) => messages.push(message));
    channel.connect();
    expect(channel.send({ type: 'ping' })).toBeNull(); // not open yet
    sockets[0]!.open();
    expect(channel.send({ type: 'ping' })).toBe(1);
    expect(channel.send({ type: 'leave' })).toBe(2);
    expect(JSON.parse(sockets[0]!.sent[0]!)).toEqual({ type: 'ping', id: 1 });
    sockets[0]!.receive({ type: 'pong', reply_to: 1 });
    sockets[0]!.receive({ type: 'nonsense' });
    expect(messages).toEqual([{ type: 'pong', reply_to: 1 }]);
  });

  it('reconnects with backoff after an unexpected close, and says so', () => {
    const { channel, sockets } = makeChannel();
    const closes: boolean[] = [];
    let opens = 0;
    channel.on('close', (info) => closes.push(info.reconnecting));
    channel.on('open', () => opens++);
    channel.connect();
    sockets[0]!.open();
    sockets[0]!.drop(1006);
    expect(closes).toEqual([true]);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    expect(opens).toBe(2);
  });

  it('reconnects at once after 1012 (the room moved to another app server), however many tries failed before', () => {
    const { channel, sockets } = makeChannel();
    const closes: Array<[number, boolean]> = [];
    channel.on('close', (info) => closes.push([info.code, info.reconnecting]));
    channel.connect();
    for (let failed = 0; failed < 4; failed++) {
      sockets.at(-1)!.drop(1006); // never opened: the backoff grows
      vi.advanceTimersByTime(1000);
    }
    expect(sockets).toHaveLength(5);
    sockets.at(-1)!.drop(1012);
    expect(closes.at(-1)).toEqual([1012, true]);
    vi.advanceTimersByTime(100); // the first step of the backoff, not the grown one
    expect(sockets).toHaveLength(6);
  });

  it('does not reconnect after leave (1000) or a fatal error (4000)', () => {
    for (const code of [1000, 4000]) {
      const { channel, sockets } = makeChannel();
      const closes: boolean[] = [];
      channel.on('close', (info) => closes.push(info.reconnecting));
      channel.connect();
      sockets[0]!.open();
      sockets[0]!.drop(code);
      vi.advanceTimersByTime(10_000);
      expect(closes).toEqual([false]);
      expect(sockets).toHaveLength(1);
    }
  });

  it.each(['removed', 'meeting_ended', 'room_locked'])(
    'does not reconnect after a fatal %s, even when the close that follows looks abnormal',
    (code) => {
      const { channel, sockets } = makeChannel();
      const closes: boolean[] = [];
      channel.on('close', (info) => closes.push(info.reconnecting));
      channel.connect();
      sockets[0]!.open();
      sockets[0]!.receive({ type: 'error', code, message: '', fatal: true });
      sockets[0]!.drop(1006);
      vi.advanceTimersByTime(60_000);
      expect(closes).toEqual([false]);
      expect(sockets).toHaveLength(1);
    },
  );

  it('stays closed after close()', () => {
    const { channel, sockets } = makeChannel();
    channel.connect();
    sockets[0]!.open();
    channel.close();
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
    expect(channel.isOpen).toBe(false);
  });

  it('is opened once even when connect() is called again (opened ahead of join)', () => {
    const { channel, sockets } = makeChannel();
    channel.connect();
    channel.connect();
    expect(sockets).toHaveLength(1);
  });

  it('gives up a socket that does not open in time and opens a new one (a network dropping packets)', () => {
    const { channel, sockets } = makeChannel();
    const closes: string[] = [];
    let opens = 0;
    channel.on('close', (info) => closes.push(`${info.reason} ${info.reconnecting}`));
    channel.on('open', () => opens++);
    channel.connect();
    vi.advanceTimersByTime(7_999);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets[0]!.readyState).toBe(3);
    expect(closes).toEqual(['open timeout true']);
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    // Once open, the timeout no longer applies.
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(2);
    expect(opens).toBe(1);
  });
});
