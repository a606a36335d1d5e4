// Follows a run's events file as it grows: new complete lines are parsed and handed over in
// order; a torn last line waits for its end. Polls (and wakes on fs.watch), because the file
// may not exist yet when the run starts. The local child writes the file itself; a remote run's
// events reach it through serve's ingest route.
import { closeSync, existsSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import type { RunEventLine } from '../model/run-events.js';

export interface EventFollower {
  /** Reads whatever is new now (also used once more after the child exited). */
  drain(): void;
  stop(): void;
}

const POLL_MS = 250;

export function followEvents(file: string, onEvent: (e: RunEventLine) => void): EventFollower {
  let offset = 0;
  let pending = '';
  let watcher: FSWatcher | undefined;
  const drain = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      pending += buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.trim()) continue;
      try {
        onEvent(JSON.parse(line) as RunEventLine);
      } catch {
        /* a line that is not JSON is skipped */
      }
    }
    if (!watcher) {
      try {
        watcher = watch(file, () => drain());
      } catch {
        /* polling carries on */
      }
    }
  };
  const timer = setInterval(drain, POLL_MS);
  timer.unref();
  return {
    drain,
    stop() {
      clearInterval(timer);
      watcher?.close();
    },
  };
}
