// Calls back when a file changes. The file's folder is watched, not the file: editors and
// configuration tools replace a file (write a new one, rename it over the old), and a watch on
// the old file would see nothing after that. Events come in bursts (a save is often several), so
// the callback waits for a quiet moment.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { systemClock, type Clock, type Timer } from '../model/clock.js';

export interface FileWatch {
  close(): void;
}

export function watchFile(
  file: string,
  onChange: () => void,
  opts: { debounceMs?: number; clock?: Clock; onError?: (err: Error) => void } = {},
): FileWatch {
  const clock = opts.clock ?? systemClock;
  const name = basename(file);
  let pending: Timer | undefined;
  let closed = false;
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    // Some platforms do not name the file: then any change in the folder counts.
    if (closed || (changed !== null && changed.toString() !== name)) return;
    pending?.cancel();
    pending = clock.after(opts.debounceMs ?? 500, () => {
      if (!closed) onChange();
    });
  });
  watcher.on('error', (err) => opts.onError?.(err));
  return {
    close() {
      closed = true;
      pending?.cancel();
      watcher.close();
    },
  };
}
