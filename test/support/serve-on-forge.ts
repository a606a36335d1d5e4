// `serve` in-process against the stand-in forge, for the server tests that follow the forge
// (!testme, push runs, org enrolment): a temporary folder with an abra server entry and the
// cc-ci.yml lines given, the bot's token from the forge's seed, a fake executor, a janitor that
// reaps nothing, and the clock the test moves by hand.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { JanitorReport } from '../../src/apps/janitor.js';
import { loadConfig, type Config } from '../../src/config/load-config.js';
import { createForge } from '../../src/forge/registry.js';
import type { Clock } from '../../src/model/clock.js';
import { RunStore } from '../../src/queue/store.js';
import { SecretRegistry } from '../../src/secrets/secret-registry.js';
import { serve, type Serving } from '../../src/server/serve.js';
import type { Forge } from '../../testbed/forge/server.js';
import { FakeExecutor } from './fake-executor.js';

export interface ServeOnForgeOptions {
  forge: Forge;
  /** The lines of cc-ci.yml (paths relative to the folder: ./abra, ./store). */
  config: string[];
  clock: Clock;
  /** The temporary folder's name starts so. */
  prefix: string;
  /** More environment for the config loader besides CCCI_FORGE_TOKEN. */
  env?: Record<string, string>;
  /** More folders made in the temporary folder. */
  dirs?: string[];
  log?: Logger;
}

export interface ServingOnForge {
  config: Config;
  store: RunStore;
  executor: FakeExecutor;
  serving: Serving;
}

const reapNothing = async (): Promise<JanitorReport> => ({
  reaped: [],
  leftBehind: [],
  recordsKept: [],
  keptLive: [],
  keptYoung: [],
  unreadableLeases: [],
  keptUnsure: [],
});

export async function serveOnForge(opts: ServeOnForgeOptions): Promise<ServingOnForge> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  mkdirSync(join(dir, 'abra', 'servers', 'default'), { recursive: true });
  for (const d of opts.dirs ?? []) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'cc-ci.yml'), opts.config.join('\n'));
  const secrets = new SecretRegistry();
  const token = opts.forge.seeded!.tokens['cc-ci-bot']!;
  const config = loadConfig({
    path: join(dir, 'cc-ci.yml'),
    env: { CCCI_FORGE_TOKEN: token, ...opts.env },
    secrets,
  });
  const store = new RunStore(join(config.store, 'cc-ci.db'));
  const executor = new FakeExecutor(config.store);
  const log = opts.log ?? pino({ level: 'silent' });
  const forge = createForge('gitea', { url: opts.forge.url, token, retries: 0 });
  const serving = await serve({
    config,
    secrets,
    log,
    clock: opts.clock,
    store,
    executor,
    reap: reapNothing,
    forge,
  });
  return { config, store, executor, serving };
}
