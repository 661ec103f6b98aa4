import { diffLayers, type LayerPlan } from './layerPlanner';
import type { ClientMessage, Layer, RequestId, StreamLayer } from './protocol';

/** The server takes at most this many streams in one `subscription.set` (MAX_SUBSCRIPTION_STREAMS). */
export const MAX_STREAMS_PER_MESSAGE = 256;

/**
 * Keeps the server's layers (`subscription.set`) equal to the wanted plan: sends only what differs
 * from what the server last confirmed or was asked, only for mids of the current subscriber offer,
 * and everything again after a new offer (mids may have been reused for other feeds).
 *
 * A new video starts at the low layer on the server; it is raised only once its first packets
 * have arrived (`flowing`). Raising it at once made the first frame wait for a key frame of the
 * high layer, which the publisher's browser may hold back for a moment after the one it has just
 * sent for the low layer; the low layer's first frame is painted sooner.
 */
export class LayerSubscription {
  private wanted: LayerPlan = new Map();
  private sent = new Map<string, Layer>();
  private videoMids: ReadonlySet<string> = new Set();
  /** Video mids that have received media since they appeared in an offer. */
  private readonly started = new Set<string>();
  private readonly pending = new Set<RequestId>();

  constructor(private readonly send: (message: ClientMessage) => RequestId | null) {}

  /** The layers the page wants now (by subscriber mid). */
  want(plan: LayerPlan): void {
    this.wanted = plan;
    this.flush();
  }

  /** A subscriber offer was answered: these are the video mids the subscription has now. */
  offered(videoMids: ReadonlySet<string>): void {
    for (const mid of this.started) if (!videoMids.has(mid)) this.started.delete(mid);
    this.videoMids = videoMids;
    this.sent.clear();
    this.flush();
  }

  /** Media arrived on this video mid: it may now be raised above the low layer. */
  flowing(mid: string): void {
    if (this.started.has(mid)) return;
    this.started.add(mid);
    if (this.videoMids.has(mid)) this.flush();
  }

  /** The connection to the server or the subscriber went away: nothing is known any more. */
  reset(): void {
    this.videoMids = new Set();
    this.started.clear();
    this.sent.clear();
    this.pending.clear();
  }

  /** The server applied a request: its state is authoritative. */
  confirmed(replyTo: RequestId | undefined, streams: readonly StreamLayer[]): void {
    if (replyTo !== undefined) this.pending.delete(replyTo);
    this.sent = new Map(streams.map((stream) => [stream.mid, stream.layer]));
  }

  /** Whether an error answers one of our requests; then nothing of it was applied. */
  refused(replyTo: RequestId | undefined): boolean {
    if (replyTo === undefined || !this.pending.delete(replyTo)) return false;
    this.sent.clear(); // the next offer or plan change sends everything again
    return true;
  }

  private flush(): void {
    const current = new Map<string, Layer>();
    for (const [mid, layer] of this.wanted) {
      if (!this.videoMids.has(mid)) continue;
      current.set(mid, layer === 'off' || this.started.has(mid) ? layer : 'low');
    }
    const changes = diffLayers(this.sent, current);
    for (let start = 0; start < changes.length; start += MAX_STREAMS_PER_MESSAGE) {
      const chunk = changes.slice(start, start + MAX_STREAMS_PER_MESSAGE) as [StreamLayer, ...StreamLayer[]];
      const id = this.send({ type: 'subscription.set', streams: chunk });
      if (id === null) return;
      this.pending.add(id);
      for (const { mid, layer } of chunk) this.sent.set(mid, layer);
    }
  }
}
