// serve from the ports it is handed (a fake executor, a fake forge, a fake janitor): recovery at
// start marks a run of the last server interrupted and reaps what it claimed; a run queued
// through the API runs on the executor to its end; the forge's webhook reader and its comment
// list are the ones serve was given; a stop closes everything; a drain keeps queuing.
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JanitorReport } from '../../../src/apps/janitor.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Forge } from '../../../src/forge/forge.js';
import { giteaWebhooks } from '../../../src/forge/gitea/webhook.js';
import type { ForgeClient } from '../../../src/forge/types.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { systemClock } from '../../../src/model/clock.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { serve } from '../../../src/server/serve.js';
import { FakeExecutor } from '../../support/fake-executor.js';

const TOKEN = 'admin-token-for-the-serve-tests-0123456789';
const HOOK_SECRET = 'hook-secret-for-the-serve-tests';
const FORGE = 'https://git.example.org';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'cc-ci-serve-'));
  mkdirSync(join(dir, 'abra', 'servers', 'default'), { recursive: true });
  writeFileSync(
    join(dir, 'cc-ci.yml'),
    [
      `forge: {type: gitea, url: "${FORGE}", org: coop-cloud, repos: [coop-cloud/custom-html]}`,
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      'store: ./store',
      'dashboard: {listen: "127.0.0.1:0"}',
    ].join('\n'),
  );
  const secrets = new SecretRegistry();
  const env = { CCCI_ADMIN_TOKEN: TOKEN, CCCI_FORGE_TOKEN: 'forge-token', CCCI_WEBHOOK_SECRET: HOOK_SECRET };
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), env, secrets });
  const store = new RunStore(join(config.store, 'cc-ci.db'));
  const executor = new FakeExecutor(config.store);
  const reaped: string[][] = [];
  const reap = async (domains: string[]): Promise<JanitorReport> => {
    reaped.push(domains);
    const gone = domains.map((domain) => ({ domain, left: [] }));
    return {
      reaped: gone,
      leftBehind: [],
      recordsKept: [],
      keptLive: [],
      keptYoung: [],
      unreadableLeases: [],
      keptUnsure: [],
    };
  };
  const polled: string[] = [];
  const forge: Forge = {
    client: { whoAmI: async () => ({ login: 'cc-ci-bot' }) } as unknown as ForgeClient,
    commentsSince: async (repo) => {
      polled.push(repo);
      return [];
    },
    webhooks: giteaWebhooks,
  };
  const log = createLogger({ secrets, console: false }).log;
  const start = () => serve({ config, secrets, log, clock: systemClock, store, executor, reap, forge });
  return { config, store, executor, reaped, polled, start };
}

async function until(what: string, probe: () => boolean, ms = 5_000): Promise<void> {
  for (const deadline = Date.now() + ms; !probe();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('serve', () => {
  it('recovers, runs what the API queues on its executor, follows the forge it was given, and stops', async () => {
    const { store, executor, reaped, polled, start } = setup();
    // A run the last server left running, whose child is gone.
    store.insertRun('old', {
      recipe: 'custom-html',
      repo: 'file:///x',
      ref: 'main',
      stages: [],
      keep: false,
      trigger: { kind: 'api' },
    });
    store.markRunning('old', 4242);
    const claimed = { type: 'app-claimed', domain: 'cust-aaaaaa.ci.test', stack: 'cust-aaaaaa_ci_test', role: 'x' };
    executor.survivors.set('old', { alive: false, events: [claimed] });
    const serving = await start();
    await until('the recovery', () => store.getRun('old')?.state === 'interrupted');
    expect(reaped).toEqual([['cust-aaaaaa.ci.test']]);
    await until('the first poll', () => polled.length > 0);
    expect(polled[0]).toBe('coop-cloud/custom-html');

    const res = await fetch(`${serving.url}/api/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recipe: 'custom-html', ref: 'main', repo: `${FORGE}/coop-cloud/custom-html.git` }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await until('the run to start', () => executor.started.length === 1);
    executor.started[0]!.finish('pass');
    await until('the run to pass', () => store.getRun(id)?.state === 'passed');

    // POST /hook reads the delivery with the forge's own reader: a bad signature is refused.
    const body = JSON.stringify({ action: 'created' });
    const headers = { 'content-type': 'application/json', 'x-gitea-event': 'push' };
    const hook = (signature: string) =>
      fetch(`${serving.url}/hook`, {
        method: 'POST',
        body,
        headers: { ...headers, 'x-gitea-signature': signature },
      });
    expect((await hook('0'.repeat(64))).status).toBe(401);
    expect((await hook(createHmac('sha256', HOOK_SECRET).update(body).digest('hex'))).status).toBe(204);

    await serving.stop('the test is done');
    await serving.stopped;
    expect(() => store.getRun(id)).toThrow();
  });

  it('drains: the API still queues and /healthz says draining; a second stop ends it at once', async () => {
    const { config, store, executor, start } = setup();
    const serving = await start();
    const queue = async () => {
      const res = await fetch(`${serving.url}/api/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ recipe: 'custom-html', ref: 'main', repo: `${FORGE}/coop-cloud/custom-html.git` }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const running = await queue();
    await until('the run to start', () => executor.started.length === 1);
    const drained = serving.drain('SIGTERM', 30 * 60_000);
    const health = (await (await fetch(`${serving.url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'draining', running: 1, draining: { running: 1 } });
    // Asked for during the drain: accepted and kept queued for the next start.
    const late = await queue();
    expect(store.getRun(late)?.state).toBe('queued');
    expect(executor.started).toHaveLength(1);
    await serving.stop('SIGTERM');
    await Promise.all([drained, serving.stopped]);
    expect(executor.started[0]!.signals).toEqual(['SIGTERM']);
    const again = new RunStore(join(config.store, 'cc-ci.db'));
    expect(again.getRun(running)).toMatchObject({ state: 'interrupted', error: { code: 'CANCELLED' } });
    expect(again.getRun(late)?.state).toBe('queued');
    again.close();
  });
});
