import { diffLayers, type LayerPlan } from './layerPlanner';
import type { ClientMessage, Layer, RequestId, StreamLayer } from './protocol';

/** The server takes at most this many streams in one `subscription.set` (MAX_SUBSCRIPTION_STREAMS). */
export const MAX_STREAMS_PER_MESSAGE = 256;

/**
 * Keeps the server's layers (`subscription.set`) equal to the wanted plan: sends only what differs
 * from what the server last confirmed or was asked, only for mids of the current subscriber offer,
 * and everything again after a new offer (mids may have been reused for other feeds).
 */
export class LayerSubscription {
  private wanted: LayerPlan = new Map();
  private sent = new Map<string, Layer>();
  private videoMids: ReadonlySet<string> = new Set();
  private readonly pending = new Set<RequestId>();

  constructor(private readonly send: (message: ClientMessage) => RequestId | null) {}

  /** The layers the page wants now (by subscriber mid). */
  want(plan: LayerPlan): void {
    this.wanted = plan;
    this.flush();
  }

  /** A subscriber offer was answered: these are the video mids the subscription has now. */
  offered(videoMids: ReadonlySet<string>): void {
    this.videoMids = videoMids;
    this.sent.clear();
    this.flush();
  }

  /** The connection to the server or the subscriber went away: nothing is known any more. */
  reset(): void {
    this.videoMids = new Set();
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
    const current = new Map([...this.wanted].filter(([mid]) => this.videoMids.has(mid)));
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
