// What the testbed's programs share when run as programs (node dist/testbed/<x>/main.js) rather
// than imported by tests: whether this module is the one node was started with, and a server
// closed on SIGINT or SIGTERM.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Whether the module at `moduleUrl` (its import.meta.url) is the program node runs. */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** On the first SIGINT or SIGTERM: `close()`, then exit 0 (1 if closing failed). */
export function closeOnSignals(close: () => Promise<unknown>): void {
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
