/**
 * The library a site loads to embed a Visio meeting (`/embed/visio-embed.js`, built from this file
 * by `npm run build`; no dependencies). The site must be listed in Visio's `VISIO_FRAME_ANCESTORS`.
 *
 *     const meeting = new VisioMeeting({ url: 'https://visio.example.gouv.fr/abc-defg-hij',
 *                                        container: document.getElementById('meeting'),
 *                                        displayName: 'Camille Martin' });
 *     meeting.on('joined', ({ participantId }) => ...);
 *     meeting.setAudioMuted(true);
 *     meeting.leave();
 *
 * Messages count only when they come from the meeting's own iframe (`event.source`) and from the
 * Visio server's origin, and pass the same validation as Visio's; commands go to that origin
 * only. docs/embedding.md has the reference.
 */
import {
  envelope,
  isEmbedMessage,
  parseEvent,
  type EmbedCommand,
  type EmbedEvent,
  type EmbedEventType,
} from '../protocol';

export type { EmbedEvent, EmbedParticipant } from '../protocol';

export interface VisioMeetingOptions {
  /** The meeting link, such as https://visio.example.gouv.fr/abc-defg-hij. */
  url: string;
  /** Where the iframe goes (it fills it). */
  container: HTMLElement;
  /** Join under this name as soon as the meeting is ready (or later with `join`). */
  displayName?: string;
  /** With `displayName`: join at once, without the pre-join screen, when the devices allow. */
  skipPreJoin?: boolean;
  /** The iframe's accessible title. */
  title?: string;
  /** How long to wait for the meeting to answer after the frame loaded; then `error` `not_ready`. */
  readyTimeoutMs?: number;
}

type Handler<T extends EmbedEventType> = (event: Extract<EmbedEvent, { type: T }>) => void;

/** What the iframe may use: the page must be allowed to delegate these (Visio's Permissions-Policy). */
export const IFRAME_ALLOW = 'camera; microphone; display-capture; autoplay; fullscreen';

export class VisioMeeting {
  /** The meeting's iframe. */
  readonly iframe: HTMLIFrameElement;
  /** The Visio server's origin: the only one messages are taken from and sent to. */
  readonly origin: string;
  private readonly handlers = new Map<EmbedEventType, Set<(event: EmbedEvent) => void>>();
  private readonly queue: EmbedCommand[] = [];
  private ready = false;
  private destroyed = false;
  private loggedIgnored = false;
  private readyTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listener = (event: MessageEvent) => this.onMessage(event);

  constructor(private readonly options: VisioMeetingOptions) {
    const url = new URL(options.url, window.location.href);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('VisioMeeting: url must be an http(s) meeting link');
    this.origin = url.origin;
    this.iframe = document.createElement('iframe');
    this.iframe.src = url.href;
    this.iframe.allow = IFRAME_ALLOW;
    this.iframe.title = options.title ?? 'Visio';
    this.iframe.style.cssText = 'width:100%;height:100%;border:0;display:block';
    window.addEventListener('message', this.listener);
    this.iframe.addEventListener('load', () => this.onFrameLoad());
    options.container.append(this.iframe);
    if (options.displayName !== undefined) this.join(options.displayName, { skipPreJoin: options.skipPreJoin ?? false });
  }

  /** Calls `handler` on each event of this type; returns the function that stops it. */
  on<T extends EmbedEventType>(type: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    const wrapped = handler as (event: EmbedEvent) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Fills in the name and joins (at once with `skipPreJoin`, when the devices allow). */
  join(displayName: string, options: { skipPreJoin?: boolean } = {}): void {
    this.send({ type: 'join', displayName, skipPreJoin: options.skipPreJoin ?? false });
  }

  setAudioMuted(muted: boolean): void {
    this.send({ type: 'setAudioMuted', muted });
  }

  setVideoMuted(muted: boolean): void {
    this.send({ type: 'setVideoMuted', muted });
  }

  leave(): void {
    this.send({ type: 'leave' });
  }

  /** Removes the iframe (leaving the meeting) and stops listening. */
  destroy(): void {
    this.destroyed = true;
    window.removeEventListener('message', this.listener);
    if (this.readyTimer !== null) clearTimeout(this.readyTimer);
    this.iframe.remove();
  }

  /** Commands wait for `ready`: before it, nobody listens in the frame. */
  private send(command: EmbedCommand): void {
    if (this.destroyed) return;
    if (!this.ready) {
      this.queue.push(command);
      return;
    }
    this.iframe.contentWindow?.postMessage(envelope(command), this.origin);
  }

  private onFrameLoad(): void {
    if (this.ready || this.destroyed) return;
    // Browsers without `location.ancestorOrigins` learn who embeds them from this first message.
    this.iframe.contentWindow?.postMessage(envelope({ type: 'hello' }), this.origin);
    if (this.readyTimer !== null) clearTimeout(this.readyTimer);
    this.readyTimer = setTimeout(() => {
      if (this.ready || this.destroyed) return;
      this.dispatch({
        type: 'error',
        code: 'not_ready',
        message: `the meeting did not answer: is ${window.location.origin} listed in Visio's VISIO_FRAME_ANCESTORS?`,
      });
    }, this.options.readyTimeoutMs ?? 15_000);
  }

  private onMessage(event: MessageEvent): void {
    if (event.source !== this.iframe.contentWindow || event.origin !== this.origin) {
      if (!this.loggedIgnored && isEmbedMessage(event.data)) {
        this.loggedIgnored = true;
        console.warn(`VisioMeeting: ignored a message from ${event.origin || 'an unknown origin'} (not the meeting's frame)`);
      }
      return;
    }
    const parsed = parseEvent(event.data);
    if (!parsed.ok) {
      console.warn(`VisioMeeting: ignored an invalid message from the meeting: ${parsed.reason}`);
      return;
    }
    if (parsed.message.type === 'ready') {
      if (this.ready) return;
      this.ready = true;
      if (this.readyTimer !== null) clearTimeout(this.readyTimer);
      this.dispatch(parsed.message);
      for (const command of this.queue.splice(0)) this.send(command);
      return;
    }
    this.dispatch(parsed.message);
  }

  private dispatch(event: EmbedEvent): void {
    for (const handler of [...(this.handlers.get(event.type) ?? [])]) {
      try {
        handler(event);
      } catch (error) {
        console.error(`VisioMeeting: a "${event.type}" handler failed`, error);
      }
    }
  }
}
