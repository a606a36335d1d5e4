// A run's events as a stream that replays: a listener that comes late gets every event seen so
// far, in order, then each new one. Executors push what they read (a file, an API); the queue
// and recovery listen.
import type { RunEventLine } from '../model/run-events.js';

export class EventStream {
  private readonly seen: RunEventLine[] = [];
  private readonly listeners = new Set<(event: RunEventLine) => void>();

  push(event: RunEventLine): void {
    this.seen.push(event);
    for (const listener of [...this.listeners]) listener(event);
  }

  onEvent(listener: (event: RunEventLine) => void): () => void {
    for (const event of this.seen) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
