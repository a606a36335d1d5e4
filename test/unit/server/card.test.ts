// The run's summary card, GET /runs/:id/card.png, drawn by Debian's Chromium on a bare fastify
// with only that route, from an in-memory store and a fake run control. A finished run's card is
// drawn once, written to <run dir>/card.png and then served from the file; a running run's is
// drawn every time and never written; unknown and malformed ids are 404; a Chromium that cannot
// start is a 503 and the server keeps answering. The cards drawn: /tmp/cc-ci-card-*.png.
import { runFolder } from '../../../src/model/run-folder.js';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import type { RunResults } from '../../../src/model/results.js';
import type { StageResult } from '../../../src/model/stage.js';
import type { RunControl } from '../../../src/queue/run-control.js';
import type { RunRecord, TriggeredRequest } from '../../../src/model/run.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { CardRenderer, pngSize } from '../../../src/server/card-render.js';
import { cardHtml, cardView, registerCard } from '../../../src/server/card.js';
import type { ServerDeps } from '../../../src/server/server-deps.js';

const SECRET = 'very-secret-db-password-xyz';
const root = mkdtempSync(join(tmpdir(), 'cc-ci-card-'));
// One Chromium for the whole file (the route's own would be closed with each app).
const renderer = new CardRenderer();
afterAll(async () => {
  await renderer.close();
  rmSync(root, { recursive: true, force: true });
});

interface World {
  app: FastifyInstance;
  store: RunStore;
  deps: ServerDeps;
  runDir(id: string): string;
}
let world: World;

async function makeWorld(opts: { renderer?: CardRenderer } = { renderer }): Promise<World> {
  const dir = mkdtempSync(join(root, 'w-'));
  writeFileSync(join(dir, 'cc-ci.yml'), 'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n');
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), env: {}, secrets });
  secrets.add(SECRET);
  const store = new RunStore(':memory:');
  const runDir = (id: string) => join(config.store, 'runs', id);
  const runs: RunControl = {
    enqueue: (req: TriggeredRequest): RunRecord => store.insertRun(`x-${Date.now()}`, req),
    cancel: async (id) => store.getRun(id),
    queuePosition: () => undefined,
    onChange: () => () => undefined,
    runFiles: (id) => runFolder(config.store, id),
  };
  const deps: ServerDeps = {
    config,
    store,
    runs,
    secrets,
    log: pino({ level: 'silent' }),
    metrics: {} as ServerDeps['metrics'],
    recipes: () => [],
  };
  const app = Fastify({ logger: false });
  registerCard(app, deps, opts);
  await app.ready();
  return { app, store, deps, runDir };
}

function request(over: Partial<TriggeredRequest> = {}): TriggeredRequest {
  return {
    recipe: 'custom-html',
    repo: 'https://git.example.org/coop-cloud/custom-html.git',
    ref: 'main',
    stages: [],
    keep: false,
    trigger: { kind: 'api' },
    ...over,
  };
}

function stage(
  name: StageResult['name'],
  status: StageResult['status'],
  durationMs: number,
  extra: Partial<StageResult> = {},
): StageResult {
  return { name, status, checks: [], durationMs, ...extra };
}

function writeResults(w: World, id: string, over: Partial<RunResults>): void {
  const dir = join(w.runDir(id), 'artifacts');
  mkdirSync(dir, { recursive: true });
  const results: RunResults = {
    schemaVersion: 2,
    runId: id,
    recipe: 'custom-html',
    repo: 'https://x',
    ref: 'main',
    versions: {},
    startedAt: '2026-11-30T10:15:00.000Z',
    finishedAt: '2026-11-30T10:21:00.000Z',
    durationMs: 360_000,
    stages: [],
    level: 0,
    verdict: 'pass',
    apps: [],
    teardown: { clean: true, left: [], durationMs: 1000 },
    artifacts: [],
    ...over,
  };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
}

/** A run that went through its stages and ended, as the scheduler leaves it in the store. */
function finishedRun(
  w: World,
  id: string,
  req: Partial<TriggeredRequest>,
  stages: StageResult[],
  end: Parameters<RunStore['finishRun']>[1],
): void {
  const t0 = Date.UTC(2026, 10, 30, 10, 15);
  w.store.insertRun(id, request(req), new Date(t0));
  w.store.markRunning(id, 4242, new Date(t0 + 2_000));
  for (const s of stages) w.store.recordStage(id, s);
  w.store.finishRun(id, end, new Date(t0 + 6 * 60_000 + 12_000));
}

async function getCard(url: string) {
  const res = await world.app.inject(url);
  return { res, png: res.rawPayload };
}

function expectCard(png: Buffer): void {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(pngSize(png)).toEqual({ width: 1200, height: 630 });
}

const passStages = [
  stage('install', 'pass', 41_000),
  stage('upgrade', 'pass', 95_000),
  stage('backup', 'pass', 27_500),
  stage('recipe-local', 'pass', 12_300),
  stage('lint', 'pass', 3_100, { advisory: true }),
];
const failStages = [
  stage('install', 'pass', 38_000),
  stage('upgrade', 'fail', 184_000, {
    code: 'DATA_LOST',
    reason:
      'the data marker written before the upgrade is gone after it: ' +
      `SELECT value FROM ccci_marker returned no rows (password ${SECRET}) ` +
      'and the service app restarted 3 times while it converged, so the upgrade lost what the old version wrote',
    checks: [{ name: 'marker survives', status: 'fail', code: 'DATA_LOST', detail: 'no rows' }],
  }),
  stage('backup', 'error', 30_000, {
    code: 'INGRESS_FAILED',
    reason: 'could not load https://cust-abc123.ci.test/: net::ERR_CONNECTION_REFUSED',
  }),
  stage('recipe-local', 'skip', 0, { reason: 'not run: it needs a passing install' }),
  stage('lint', 'fail', 2_900, {
    advisory: true,
    code: 'LINT_FAILED',
    reason: 'R014: only annotated tags used for recipe version',
  }),
];

beforeAll(async () => {
  // Fail fast, with the reason, when this machine has no Chromium.
  expect(existsSync('/usr/bin/chromium') || process.env.CCCI_CHROMIUM !== undefined).toBe(true);
});
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.app.close();
  world.store.close();
});

describe('GET /runs/:id/card.png', () => {
  it('draws a passed run once, saves it, and serves the file afterwards', async () => {
    finishedRun(world, 'r-pass', { pr: 7, ref: 'pr-7' }, passStages, {
      state: 'passed',
      verdict: 'pass',
      level: 5,
      sha: 'b22d2e6e7772a8b0',
    });
    writeResults(world, 'r-pass', { versions: { base: '1.1.0+2.4.0', head: '1.2.0+2.5.0' }, level: 5 });
    const file = join(world.runDir('r-pass'), 'card.png');
    expect(existsSync(file)).toBe(false);

    const first = await getCard('/runs/r-pass/card.png');
    expect(first.res.statusCode).toBe(200);
    expect(first.res.headers['content-type']).toBe('image/png');
    expect(first.res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectCard(first.png);
    writeFileSync('/tmp/cc-ci-card-pass.png', first.png);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file).equals(first.png)).toBe(true);
    const mtime = statSync(file).mtimeMs;

    await new Promise((r) => setTimeout(r, 30));
    const second = await getCard('/runs/r-pass/card.png');
    expect(second.res.statusCode).toBe(200);
    expect(second.res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(second.png.equals(first.png)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('draws a failed run with the failing stages and their reasons', async () => {
    finishedRun(world, 'r-fail', { recipe: 'keycloak', ref: 'pr-12', pr: 12 }, failStages, {
      state: 'failed',
      verdict: 'fail',
      level: 1,
      sha: '9f1c2ab4d0e5f6a7',
    });
    const { res, png } = await getCard('/runs/r-fail/card.png');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expectCard(png);
    writeFileSync('/tmp/cc-ci-card-fail.png', png);
    expect(existsSync(join(world.runDir('r-fail'), 'card.png'))).toBe(true);
    // Concurrent asks for a card not drawn yet share one render and all get it.
    rmSync(join(world.runDir('r-fail'), 'card.png'));
    const many = await Promise.all([1, 2, 3, 4].map(() => getCard('/runs/r-fail/card.png')));
    for (const m of many) expect(m.res.statusCode).toBe(200);
    expect(existsSync(join(world.runDir('r-fail'), 'card.png'))).toBe(true);
  });

  it('draws a running run fresh each time and never saves it', async () => {
    world.store.insertRun('r-run', request({ recipe: 'lasuite-docs', ref: 'main' }), new Date(Date.now() - 200_000));
    world.store.markRunning('r-run', 4242, new Date(Date.now() - 190_000));
    world.store.recordStage('r-run', stage('install', 'pass', 52_000));
    world.store.setCurrentStage('r-run', 'upgrade');
    for (let i = 0; i < 2; i++) {
      const { res, png } = await getCard('/runs/r-run/card.png');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.headers['cache-control']).toBe('no-cache');
      expectCard(png);
      if (i === 0) writeFileSync('/tmp/cc-ci-card-running.png', png);
    }
    expect(existsSync(join(world.runDir('r-run'), 'card.png'))).toBe(false);

    world.store.insertRun('r-queued', request({ recipe: 'matrix-synapse', ref: 'pr-3', pr: 3 }));
    const queued = await getCard('/runs/r-queued/card.png');
    expect(queued.res.statusCode).toBe(200);
    expect(queued.res.headers['cache-control']).toBe('no-cache');
    writeFileSync('/tmp/cc-ci-card-queued.png', queued.png);
    expect(existsSync(join(world.runDir('r-queued'), 'card.png'))).toBe(false);
  });

  it('draws a superseded run, and a finished run from results.json when the store has no stage rows', async () => {
    world.store.insertRun('r-super', request({ pr: 7, ref: 'pr-7' }));
    world.store.finishRun('r-super', {
      state: 'superseded',
      error: { code: 'SUPERSEDED', message: 'superseded by run r-newer before it started' },
      supersededBy: 'r-newer',
    });
    const superseded = await getCard('/runs/r-super/card.png');
    expect(superseded.res.statusCode).toBe(200);
    writeFileSync('/tmp/cc-ci-card-superseded.png', superseded.png);

    finishedRun(world, 'r-old', { recipe: 'lasuite-docs-with-a-rather-long-recipe-name' }, [], {
      state: 'errored',
      verdict: 'error',
      level: 1,
      error: { code: 'TEARDOWN_INCOMPLETE', message: 'teardown left volume cust-abc123_ci_test_content' },
    });
    writeResults(world, 'r-old', {
      verdict: 'error',
      level: 1,
      headSha: 'a1b2c3d4e5f60718',
      versions: { head: '1.0.3+1.27' },
      stages: [
        stage('install', 'pass', 30_000),
        stage('upgrade', 'na', 0, { reason: 'no earlier release to upgrade from' }),
        stage('backup', 'na', 0, { reason: 'the recipe has no backupbot labels' }),
        stage('recipe-local', 'pass', 8_000),
        stage('lint', 'pass', 2_000),
      ],
    });
    const view = cardView(world.deps, world.store.getRun('r-old')!, Date.now());
    expect(view.stages.map((s) => `${s.name}:${s.status}`)).toEqual([
      'install:pass',
      'upgrade:na',
      'backup:na',
      'recipe-local:pass',
      'lint:pass',
    ]);
    expect(view.version).toBe('1.0.3+1.27');
    expect(view.problem).toEqual({
      code: 'TEARDOWN_INCOMPLETE',
      message: 'teardown left volume cust-abc123_ci_test_content',
    });
    const errored = await getCard('/runs/r-old/card.png');
    expect(errored.res.statusCode).toBe(200);
    expectCard(errored.png);
    writeFileSync('/tmp/cc-ci-card-error.png', errored.png);
  });

  it('says for each na stage whether it counted for the level, before its reason', () => {
    finishedRun(
      world,
      'r-na',
      {},
      [
        stage('install', 'pass', 30_000),
        stage('upgrade', 'na', 0, { reason: 'no earlier release to upgrade from', naBy: 'cc-ci' }),
        stage('recipe-local', 'na', 0, { reason: 'needs a mail server', naBy: 'recipe' }),
        stage('lint', 'na', 0, { reason: 'checked upstream', naBy: 'operator' }),
      ],
      { state: 'passed', verdict: 'pass', level: 1 },
    );
    const view = cardView(world.deps, world.store.getRun('r-na')!, Date.now());
    expect(Object.fromEntries(view.stages.map((s) => [s.name, s.reason]))).toEqual({
      install: undefined,
      upgrade: 'not counted (found at run time): no earlier release to upgrade from',
      'recipe-local': "not counted (the recipe's own spec): needs a mail server",
      lint: "counts (cc-ci's spec): checked upstream",
    });
  });

  it('is 404 for an unknown or malformed run id', async () => {
    for (const url of [
      '/runs/nope/card.png',
      '/runs/-x/card.png',
      `/runs/${'a'.repeat(81)}/card.png`,
      '/runs/a.b/card.png',
      '/runs/%2E%2E/card.png',
    ]) {
      const res = await world.app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).not.toBe('image/png');
    }
  });
});

describe('the card', () => {
  it('masks secrets, cuts reasons to one line, and escapes every value', () => {
    finishedRun(
      world,
      'r-evil',
      { ref: '<script>alert(1)</script>', recipe: '<img src=x onerror=alert(1)>' },
      failStages,
      { state: 'failed', verdict: 'fail', level: 1 },
    );
    const view = cardView(world.deps, world.store.getRun('r-evil')!, Date.now());
    const upgrade = view.stages.find((s) => s.name === 'upgrade')!;
    expect(upgrade.code).toBe('DATA_LOST');
    expect(upgrade.reason).not.toContain(SECRET);
    expect(upgrade.reason!.length).toBeLessThanOrEqual(140);
    expect(upgrade.reason!.endsWith('…')).toBe(true);
    const page = cardHtml(view);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toMatch(/<[^>]*\s(src|href)=|url\(|@import/); // nothing to fetch
    expect(page).toContain('>FAIL<');
  });

  it('answers 503 when Chromium cannot start, and the server stays up', async () => {
    const broken = new CardRenderer({ executablePath: join(root, 'no-chromium-here') });
    const w = await makeWorld({ renderer: broken });
    try {
      finishedRun(w, 'r-x', {}, passStages, { state: 'passed', verdict: 'pass', level: 5 });
      for (let i = 0; i < 2; i++) {
        const res = await w.app.inject('/runs/r-x/card.png');
        expect(res.statusCode).toBe(503);
        expect(res.headers['content-type']).toMatch(/text\/plain/);
        expect(res.body).toMatch(/cannot be drawn now: Chromium is not available/);
      }
      expect(existsSync(join(w.runDir('r-x'), 'card.png'))).toBe(false);
      expect((await w.app.inject('/runs/nope/card.png')).statusCode).toBe(404);
    } finally {
      await w.app.close();
      await broken.close();
    }
  });

  it('draws at most two cards at once, and refuses a crowd beyond the waiting line', async () => {
    const small = new CardRenderer({ concurrency: 2, maxWaiting: 3 });
    const w = await makeWorld({ renderer: small });
    try {
      w.store.insertRun('r-live', request());
      w.store.markRunning('r-live', 1);
      let most = 0;
      const watch = setInterval(() => {
        most = Math.max(most, small.load.active);
      }, 1);
      const answers = await Promise.all(Array.from({ length: 8 }, () => w.app.inject('/runs/r-live/card.png')));
      clearInterval(watch);
      const codes = answers.map((a) => a.statusCode).sort();
      expect(codes.filter((c) => c === 200).length).toBe(5);
      expect(codes.filter((c) => c === 503).length).toBe(3);
      expect(answers.find((a) => a.statusCode === 503)!.body).toMatch(/too many cards/);
      expect(most).toBeLessThanOrEqual(2);
      expect(small.load).toEqual({ active: 0, waiting: 0 });
    } finally {
      await w.app.close();
      await small.close();
    }
  });

  it('closes the Chromium it launched itself when the server closes', async () => {
    const before = chromiumChildren();
    const w = await makeWorld({});
    w.store.insertRun('r-q', request());
    expect((await w.app.inject('/runs/r-q/card.png')).statusCode).toBe(200);
    expect(chromiumChildren()).toBe(before + 1);
    await w.app.close();
    w.store.close();
    expect(chromiumChildren()).toBe(before);
  });
});

/** Chromium processes this test process started (the browser, not its helpers, which are its children). */
function chromiumChildren(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /chrom/i.test(comm)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
