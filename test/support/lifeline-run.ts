// A run session with --lifeline that waits to be stopped, then prints how it was stopped (the
// stop's code and message) and exits: argv: <store dir> (holding cc-ci.yml).
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { openRunSession } from '../../src/runner/session.js';
import { SecretRegistry } from '../../src/secrets/secret-registry.js';

const [storeDir] = process.argv.slice(2) as [string];
const secrets = new SecretRegistry();
const config = loadConfig({ path: join(storeDir, 'cc-ci.yml'), secrets });
const session = openRunSession({ config, secrets, runId: 'lifeline-1', lifeline: true, console: false });
process.stdout.write('started\n');
const keepAlive = setInterval(() => undefined, 60_000);
session.signal.addEventListener('abort', () => {
  const reason = session.signal.reason as { code: string; message: string };
  process.stdout.write(`stopped ${reason.code}: ${reason.message}\n`);
  clearInterval(keepAlive);
  void session.close();
});
