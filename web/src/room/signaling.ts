import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { Emitter } from './emitter';
import { CloseCode, parseServerMessage, type ClientMessage, type RequestId, type ServerMessage } from './protocol';

// WebSocket readyState values (not read from the global, which Node 20 lacks in unit tests).
const CONNECTING = 0;
const OPEN = 1;

export interface SignalingCloseInfo {
  code: number;
  reason: string;
  /** True when the channel will try again by itself. */
  reconnecting: boolean;
}

export type SignalingEvents = {
  /** The socket is open (first time and after each reconnection): send `join` now. */
  open: () => void;
  message: (message: ServerMessage) => void;
  close: (info: SignalingCloseInfo) => void;
};

export interface SignalingOptions {
  createSocket?: (url: string) => WebSocket;
  backoff?: BackoffOptions;
  /** How often to ping while open, in milliseconds. */
  pingIntervalMs?: number;
  /** Without any frame from the server for this long, the socket is taken as dead and replaced. */
  silenceTimeoutMs?: number;
  /**
   * A socket still opening after this long is given up and opened again: on a network that drops
   * packets the browser would otherwise wait for its TCP retries (tens of seconds).
   */
  openTimeoutMs?: number;
}

/** The WebSocket URL of a room, on the same host as the page. */
export function roomSocketUrl(slug: string, location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/rooms/${encodeURIComponent(slug)}/ws`;
}

/**
 * The room's WebSocket: sends typed messages, parses what comes back, and reconnects with backoff
 * when the connection drops, until `close()` is called or the server ends it on purpose (code 1000
 * after `leave`, 4000 after a fatal error).
 */
export class SignalingChannel extends Emitter<SignalingEvents> {
  private socket: WebSocket | null = null;
  private stopped = true;
  private attempt = 0;
  private nextId = 1;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private openTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFrameAt = 0;
  private readonly createSocket: (url: string) => WebSocket;
  private readonly backoff: BackoffOptions;
  private readonly pingIntervalMs: number;
  private readonly silenceTimeoutMs: number;
  private readonly openTimeoutMs: number;

  constructor(
    readonly url: string,
    options: SignalingOptions = {},
  ) {
    super();
    this.createSocket = options.createSocket ?? ((socketUrl) => new WebSocket(socketUrl));
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.pingIntervalMs = options.pingIntervalMs ?? 15_000;
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? 40_000;
    this.openTimeoutMs = options.openTimeoutMs ?? 8_000;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** Opens the socket; does nothing when it is already open or opening (it may be opened ahead of `join`). */
  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /**
   * Sends a message with a fresh request `id` (returned) unless it has one. Returns null when the
   * socket is not open: the session re-sends its state after the next `open` anyway.
   */
  send(message: ClientMessage): RequestId | null {
    if (!this.socket || this.socket.readyState !== OPEN) return null;
    const id = message.id ?? this.nextId++;
    this.socket.send(JSON.stringify({ ...message, id }));
    return id;
  }

  /** Closes for good: no reconnection. */
  close(code: number = CloseCode.normal, reason = ''): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      detach(socket);
      if (socket.readyState === OPEN || socket.readyState === CONNECTING) socket.close(code, reason);
    }
  }

  /** Drops the current socket and reconnects now (e.g. the network came back). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.replaceSocket(4001, 'reconnecting');
  }

  private open(): void {
    this.clearTimers();
    let socket: WebSocket;
    try {
      socket = this.createSocket(this.url);
    } catch (error) {
      console.error('visio: cannot open the room socket', error);
      this.scheduleReconnect(1006, 'cannot open');
      return;
    }
    this.socket = socket;
    this.openTimer = setTimeout(() => {
      this.openTimer = null;
      if (this.socket === socket && socket.readyState === CONNECTING) this.replaceSocket(4003, 'open timeout');
    }, this.openTimeoutMs);
    socket.onopen = () => {
      if (this.openTimer !== null) clearTimeout(this.openTimer);
      this.openTimer = null;
      performance.mark('visio:ws-open');
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this.startPing();
      this.emit('open');
    };
    socket.onmessage = (event: MessageEvent) => {
      this.lastFrameAt = Date.now();
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (!message) {
        console.warn('visio: ignored a message this client does not understand', event.data.slice(0, 200));
        return;
      }
      if (message.type === 'error' && message.fatal) this.stopped = true;
      this.emit('message', message);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      const final = event.code === CloseCode.normal || event.code === CloseCode.fatalError;
      if (final) this.stopped = true;
      // The room moved to another app server: no reason to wait longer than the first step.
      if (event.code === CloseCode.serviceRestart) this.attempt = 0;
      this.scheduleReconnect(event.code, event.reason);
    };
    socket.onerror = () => {
      // The close event that follows carries what we need.
    };
  }

  private scheduleReconnect(code: number, reason: string): void {
    const reconnecting = !this.stopped;
    this.emit('close', { code, reason, reconnecting });
    if (!reconnecting) return;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private replaceSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    this.clearTimers();
    if (socket) {
      detach(socket);
      try {
        socket.close(code, reason);
      } catch {
        // Already closing.
      }
    }
    this.scheduleReconnect(1006, reason);
  }

  private startPing(): void {
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > this.silenceTimeoutMs) {
        console.warn('visio: the room socket went silent; reconnecting');
        this.replaceSocket(4002, 'silent');
        return;
      }
      this.send({ type: 'ping' });
    }, this.pingIntervalMs);
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.openTimer !== null) clearTimeout(this.openTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.openTimer = null;
  }
}

function detach(socket: WebSocket): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}
