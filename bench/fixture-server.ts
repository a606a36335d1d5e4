// The server of the HTTP benchmarks, in a process of its own (started by startServer in
// bench/http-fixture.ts): `<config> <store file> full|bare`. Full is buildServer, as `serve`
// builds it but with a fake RunControl; bare is the API, badges, metrics and health on a plain
// fastify. Listens on 127.0.0.1 at an ephemeral port, tells the parent the port, and does what
// the parent asks (end a run); SIGTERM or the parent going away stops it.
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/log/create-logger.js';
import { RunStore } from '../src/queue/store.js';
import { SecretRegistry } from '../src/secrets/secret-registry.js';
import { registerApi } from '../src/server/api.js';
import { registerBadges } from '../src/server/badges.js';
import { registerHealth } from '../src/server/health.js';
import { createMetrics, registerMetrics } from '../src/server/metrics.js';
import type { ServerDeps } from '../src/server/server-deps.js';
import { FakeRunControl } from '../test/support/fake-run-control.js';
import { recipeName, type ServerMessage } from './http-fixture.js';

const [configFile, storeFile, mode] = process.argv.slice(2);
if (!configFile || !storeFile || (mode !== 'full' && mode !== 'bare'))
  throw new Error('usage: fixture-server <config> <store file> full|bare');

const secrets = new SecretRegistry();
const config = loadConfig({ path: configFile, secrets });
// Values the runs generated (as `serve` learns them), so redaction has the work it has in life.
for (const value of (process.env.BENCH_SECRETS ?? '').split(',')) if (value) secrets.add(value);
const store = new RunStore(storeFile);
const runs = new FakeRunControl(store, config.store, { idPrefix: `bench-${Date.now()}`, cancel: 'finish' });
const metrics = createMetrics({ store, runs });
const recipes = Array.from({ length: 200 }, (_, i) => recipeName(i));
const deps: ServerDeps = {
  config,
  store,
  runs,
  secrets,
  metrics,
  log: createLogger({ secrets, console: false, level: 'silent' }).log,
  recipes: () => recipes,
};

let app: FastifyInstance;
if (mode === 'full') {
  const { buildServer } = await import('../src/server/app.js');
  app = await buildServer(deps);
} else {
  app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  await app.register(formbody);
  registerHealth(app, deps);
  registerMetrics(app, deps);
  registerBadges(app, deps);
  registerApi(app, deps);
}
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.send!({ port: typeof address === 'object' && address ? address.port : 0 });

process.on('message', (msg: ServerMessage) => {
  if (msg.type === 'finish') runs.finish(msg.id, { state: msg.state });
});
const stop = () => {
  void app.close().finally(() => {
    metrics.close();
    store.close();
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
