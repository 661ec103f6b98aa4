/**
 * Holds items until it is opened, then hands every item (held ones first, in order) to `deliver`.
 *
 * Used for ICE candidates both ways: remote candidates that arrive before the remote description is
 * set (Janus trickles early), and local candidates gathered before the offer or answer that they
 * belong to has been sent.
 */
export class PendingQueue<T> {
  private held: T[] = [];
  private opened = false;

  constructor(private readonly deliver: (item: T) => void) {}

  get isOpen(): boolean {
    return this.opened;
  }

  get size(): number {
    return this.held.length;
  }

  push(item: T): void {
    if (this.opened) this.deliver(item);
    else this.held.push(item);
  }

  /** Delivers the held items and lets later ones through at once. Opening twice does nothing. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    const held = this.held;
    this.held = [];
    for (const item of held) this.deliver(item);
  }

  /** Drops held items (the peer connection they were for is gone). */
  clear(): void {
    this.held = [];
  }
}
