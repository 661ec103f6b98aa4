/** A minimal typed event emitter: `on` returns the function that unsubscribes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [name: string]: Listener }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  on<Name extends keyof Events>(name: Name, listener: Events[Name]): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  protected emit<Name extends keyof Events>(name: Name, ...args: Parameters<Events[Name]>): void {
    for (const listener of [...(this.listeners.get(name) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // A broken listener must not break the session or the other listeners.
        console.error(`visio: a "${String(name)}" listener failed`, error);
      }
    }
  }
}
