// The registry stand-in as its own process, for trying Docker against it by hand:
//   node dist/testbed/registry/main.js [--port <p>]
// prints one JSON line {host} when ready and runs until SIGINT/SIGTERM.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startRegistry } from './server.js';

export { startRegistry, RATE_LIMIT_MESSAGE } from './server.js';
export type { Registry, RegistryRefusal, LoggedRegistryRequest } from './server.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const port = argv[0] === '--port' && argv.length === 2 ? Number(argv[1]) : argv.length === 0 ? 0 : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: main.js [--port <p>]\n');
    process.exitCode = 2;
    return;
  }
  const registry = await startRegistry({ port });
  process.stdout.write(`${JSON.stringify({ host: registry.host })}\n`);
  const stop = () => void registry.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Run only as a program, not when imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
