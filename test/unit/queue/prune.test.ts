// Retention on a real temporary store: real run folders, a real SQLite file. The folders of the
// runs the rule picks are gone, their rows stay marked pruned, the run page, the log, the
// artifacts and the API say so; serve's pruner runs at start and then daily on the clock.
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { runFolder } from '../../../src/model/run-folder.js';
import { pruneRuns } from '../../../src/queue/prune.js';
import { startPruner, PRUNE_INTERVAL_MS } from '../../../src/queue/pruner.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { registerApi } from '../../../src/server/api.js';
import { registerArtifacts } from '../../../src/server/artifacts.js';
import { registerLogStream } from '../../../src/server/log-stream.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { registerPages } from '../../../src/server/pages/routes.js';
import type { ServerDeps } from '../../../src/server/server-deps.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeRunControl } from '../../support/fake-run-control.js';

const DAY = 86_400_000;
const policy = { days: 30, keepPerRecipe: 1 };
let dir: string;
let config: Config;
let store: RunStore;

function request(over: Partial<TriggeredRequest> = {}): TriggeredRequest {
  return {
    recipe: 'custom-html',
    repo: 'https://git.example.org/coop-cloud/custom-html.git',
    ref: 'refs/pull/7/head',
    pr: 7,
    stages: [],
    keep: false,
    trigger: { kind: 'api' },
    ...over,
  };
}

/** A run created and finished at `at`, with a log and an artifact in its folder. */
function finishedRun(id: string, at: Date, over: Partial<TriggeredRequest> = {}): void {
  store.insertRun(id, request(over), at);
  store.markRunning(id, undefined, at);
  store.finishRun(id, { state: 'passed', verdict: 'pass', level: 1 }, at);
  const folder = runFolder(config.store, id);
  mkdirSync(folder.artifacts, { recursive: true });
  writeFileSync(folder.log, `${JSON.stringify({ msg: 'hello' })}\n`);
  writeFileSync(join(folder.artifacts, 'shot.png'), Buffer.alloc(1000));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cc-ci-prune-'));
  writeFileSync(join(dir, 'cc-ci.yml'), 'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n');
  config = loadConfig({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
  store = new RunStore(join(config.store, 'cc-ci.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const now = new Date('2026-06-01T00:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY);

function seed(): void {
  finishedRun('old-branch', ago(90), { ref: 'main', pr: undefined });
  finishedRun('old-pr', ago(60));
  finishedRun('newest-pr', ago(50));
  store.insertRun('old-queued', request(), ago(70));
  mkdirSync(runFolder(config.store, 'old-queued').dir, { recursive: true });
}

describe('pruneRuns', () => {
  it('deletes the picked folders, marks their rows, leaves the others alone', () => {
    seed();
    const report = pruneRuns({ store, storeDir: config.store, policy, now });
    expect(report.runs).toEqual(['old-pr']);
    expect(report.bytes).toBeGreaterThan(1000);
    expect(existsSync(runFolder(config.store, 'old-pr').dir)).toBe(false);
    expect(store.getRun('old-pr')?.prunedAt).toBe(now.toISOString());
    for (const kept of ['old-branch', 'newest-pr', 'old-queued']) {
      expect(existsSync(runFolder(config.store, kept).dir)).toBe(true);
      expect(store.getRun(kept)?.prunedAt).toBeUndefined();
    }
    // A second pass finds nothing more.
    expect(pruneRuns({ store, storeDir: config.store, policy, now }).runs).toEqual([]);
  });

  it('changes nothing when dry', () => {
    seed();
    const report = pruneRuns({ store, storeDir: config.store, policy, now, dryRun: true });
    expect(report).toMatchObject({ runs: ['old-pr'], dryRun: true });
    expect(report.bytes).toBeGreaterThan(1000);
    expect(existsSync(runFolder(config.store, 'old-pr').log)).toBe(true);
    expect(store.getRun('old-pr')?.prunedAt).toBeUndefined();
  });
});

describe('startPruner', () => {
  it('prunes at start and then once a day, and logs what it pruned', () => {
    const clock = new FakeClock(now.toISOString());
    finishedRun('a', ago(40));
    finishedRun('b', ago(35));
    finishedRun('c', ago(5));
    const lines: string[] = [];
    const pruner = startPruner({
      store,
      storeDir: config.store,
      policy,
      clock,
      log: { info: (l) => lines.push(l), warn: (l) => lines.push(`WARN ${l}`) },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/pruned the folders of 2 run\(s\), \d+ bytes .*: a, b$/);
    expect(existsSync(runFolder(config.store, 'c').dir)).toBe(true);
    finishedRun('d', new Date(clock.now().getTime() + DAY / 2));
    clock.advance(PRUNE_INTERVAL_MS - 1);
    expect(lines).toHaveLength(1);
    // 26 days on, c is over 30 days old and d is the newest: c goes on the next daily pass.
    clock.advance(26 * DAY);
    expect(lines.at(-1)).toMatch(/: c$/);
    expect(existsSync(runFolder(config.store, 'c').dir)).toBe(false);
    pruner.stop();
    expect(clock.pending).toBe(0);
  });
});

describe('a pruned run on the dashboard and the API', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    seed();
    pruneRuns({ store, storeDir: config.store, policy, now });
    const runs = new FakeRunControl(store, config.store);
    const deps: ServerDeps = {
      config,
      store,
      runs,
      secrets: new SecretRegistry(),
      log: pino({ level: 'silent' }),
      metrics: createMetrics({ store, runs }),
      recipes: () => ['custom-html'],
    };
    app = Fastify({ logger: false });
    registerApi(app, deps);
    registerArtifacts(app, deps);
    registerLogStream(app, deps);
    registerPages(app, deps);
    await app.ready();
  });
  afterEach(() => app.close());

  it('the page, the log, the artifacts and the API say the files were pruned', async () => {
    const page = await app.inject({ url: '/runs/old-pr' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Its log and artifacts were pruned');
    const log = await app.inject({ url: '/runs/old-pr/log' });
    expect(log.statusCode).toBe(410);
    expect(log.body).toMatch(/log was pruned \(config retention\)/);
    const artifact = await app.inject({ url: '/runs/old-pr/artifacts/shot.png' });
    expect(artifact.statusCode).toBe(410);
    expect(artifact.body).toMatch(/artifacts were pruned/);
    const api = await app.inject({ url: '/api/runs/old-pr' });
    expect(api.statusCode).toBe(200);
    expect(api.json()).toMatchObject({ id: 'old-pr', state: 'passed', prunedAt: now.toISOString() });
    const kept = await app.inject({ url: '/api/runs/newest-pr' });
    expect(kept.json()).toMatchObject({ prunedAt: null });
    expect((await app.inject({ url: '/runs/newest-pr' })).body).not.toContain('were pruned');
  });
});
