// The whole HTTP server (buildServer) with an ingest secret, listening on 127.0.0.1, over a run
// store on disk: for the ingest routes' tests and the shipper's. It can be closed and opened
// again on the same port with the same store, as a restarted serve would be.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/create-logger.js';
import type { TriggeredRequest } from '../../src/model/run.js';
import { RunStore } from '../../src/queue/store.js';
import { SecretRegistry } from '../../src/secrets/secret-registry.js';
import { buildServer } from '../../src/server/app.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { ServerDeps } from '../../src/server/server-deps.js';
import { FakeRunControl } from './fake-run-control.js';

export const INGEST_SECRET = 'ingest-secret-shared-by-serve-and-runners-0123456789';

export interface IngestServer {
  base: string;
  port: number;
  config: Config;
  store: RunStore;
  runs: FakeRunControl;
  /** serve's log file. */
  logFile: string;
  /** Closes the server, keeping the store and its folder. */
  stop(): Promise<void>;
  /** Opens the server again on the same port. */
  restart(): Promise<void>;
  /** Closes the server and the store. */
  close(): Promise<void>;
}

export const runRequest = (): TriggeredRequest => ({
  recipe: 'custom-html',
  repo: 'https://git.example.org/coop-cloud/custom-html.git',
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind: 'api' },
});

export async function startIngestServer(root: string, env: NodeJS.ProcessEnv = {}): Promise<IngestServer> {
  const dir = mkdtempSync(join(root, 'serve-'));
  mkdirSync(join(dir, 'store'), { recursive: true });
  writeFileSync(
    join(dir, 'cc-ci.yml'),
    'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n' +
      'runner: {executor: drone, drone: {url: "http://127.0.0.1:1", repo: ops/cc-ci}}\n',
  );
  const secrets = new SecretRegistry();
  const config = loadConfig({
    path: join(dir, 'cc-ci.yml'),
    env: { CCCI_INGEST_SECRET: INGEST_SECRET, ...env },
    secrets,
  });
  const store = new RunStore(join(dir, 'store', 'runs.db'));
  const runs = new FakeRunControl(store, config.store, { cancel: 'record' });
  const logFile = join(dir, 'serve.log');
  const { log } = createLogger({ secrets, console: false, level: 'info', file: logFile });
  const deps: ServerDeps = {
    config,
    store,
    runs,
    secrets,
    log,
    metrics: createMetrics({ store, runs }),
    recipes: () => ['custom-html'],
  };
  let app: FastifyInstance | undefined;
  let port = 0;
  const open = async () => {
    app = await buildServer(deps);
    await app.listen({ host: '127.0.0.1', port });
    const addr = app.server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
  };
  await open();
  const server: IngestServer = {
    base: `http://127.0.0.1:${port}`,
    port,
    config,
    store,
    runs,
    logFile,
    async stop() {
      await app?.close();
      app = undefined;
    },
    restart: open,
    async close() {
      await app?.close();
      store.close();
    },
  };
  return server;
}
