// The HTTP server's API, badges, metrics and health routes on a bare fastify, with an in-memory
// store and a fake run control that records what it was asked; requests go through app.inject.
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/create-logger.js';
import type { RunResults } from '../../../src/model/results.js';
import type { StageResult } from '../../../src/model/stage.js';
import { FakeRunControl } from '../../support/fake-run-control.js';
import type { RunRecord, TriggeredRequest } from '../../../src/model/run.js';
import type { RunChange, RunControl } from '../../../src/queue/run-control.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { registerApi } from '../../../src/server/api.js';
import { LOOKUP_TTL_MS, registerBadges } from '../../../src/server/badges.js';
import { registerHealth } from '../../../src/server/health.js';
import { createMetrics, registerMetrics } from '../../../src/server/metrics.js';
import type { Metrics } from '../../../src/server/server-deps.js';
import type { ServerDeps } from '../../../src/server/server-deps.js';

const TOKEN = 'admin-token-for-the-api-tests-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cc-ci-server-api-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function configFile(name: string, env: NodeJS.ProcessEnv): Config {
  const dir = join(root, name);
  mkdirSync(join(dir, 'recipes', 'spec-only'), { recursive: true });
  const file = join(dir, 'cc-ci.yml');
  writeFileSync(
    file,
    [
      'forge: {type: gitea, url: "https://git.example.org", org: coop-cloud, ' +
        'repos: [coop-cloud/custom-html, coop-cloud/never-run]}',
      'swarm: {server: ci.example.org, domain: ci.example.org}',
      'store: ./store',
      'recipesDir: ./recipes',
      'dashboard: {listen: "127.0.0.1:0", allowedRepoOrigins: ["https://mirror.example.org"]}',
    ].join('\n'),
  );
  return loadConfig({ path: file, env, secrets: new SecretRegistry() });
}

interface Harness {
  app: FastifyInstance;
  store: RunStore;
  runs: FakeRunControl;
  metrics: Metrics;
  deps: ServerDeps;
}

async function harness(config: Config): Promise<Harness> {
  const store = new RunStore(':memory:');
  const runs = new FakeRunControl(store, root, { idPrefix: 'api', cancel: 'hang' });
  const metrics = createMetrics({ store, runs });
  const secrets = new SecretRegistry();
  if (config.secrets.adminToken) secrets.add(config.secrets.adminToken);
  const deps: ServerDeps = {
    config,
    store,
    runs,
    secrets,
    metrics,
    log: createLogger({ secrets, console: false, level: 'silent' }).log,
    recipes: () => ['custom-html', 'never-run', 'spec-only'],
  };
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  await app.register(formbody);
  registerHealth(app, deps);
  registerMetrics(app, deps);
  registerBadges(app, deps);
  registerApi(app, deps);
  await app.ready();
  return { app, store, runs, metrics, deps };
}

const req = (recipe: string, over: Partial<TriggeredRequest> = {}): TriggeredRequest => ({
  recipe,
  repo: `https://git.example.org/coop-cloud/${recipe}.git`,
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind: 'forge', by: 'someone' },
  ...over,
});
const stage = (name: StageResult['name'], status: StageResult['status'], durationMs = 1000): StageResult => ({
  name,
  status,
  durationMs,
  checks: [{ name: `${name} check`, status: status === 'pass' ? 'pass' : 'fail', durationMs: 5 }],
});

let t = Date.parse('2026-01-01T00:00:00Z');
const tick = () => new Date((t += 1000));

/** A run taken to its end, as the scheduler would: the store, then the change reported (unless `quiet`). */
function finished(
  store: RunStore,
  id: string,
  r: TriggeredRequest,
  end: { state: RunRecord['state']; verdict?: 'pass' | 'fail' | 'error'; level?: number },
  quiet = false,
): RunRecord {
  store.insertRun(id, r, tick());
  store.markRunning(id, 4242, tick());
  store.finishRun(
    id,
    {
      ...end,
      sha: 'a'.repeat(40),
      error: end.verdict === 'error' ? { code: 'DOCKER_FAILED', message: 'docker went away' } : undefined,
    },
    tick(),
  );
  const run = store.getRun(id)!;
  if (!quiet) h.runs.emitter.emit('change', { run } satisfies RunChange);
  return run;
}

let h: Harness;
beforeEach(async () => {
  h = await harness(configFile(`cfg-${Date.now()}-${Math.random()}`, { CCCI_ADMIN_TOKEN: TOKEN }));
});
afterEach(async () => {
  h.metrics.close();
  await h.app.close();
  h.store.close();
});

describe('badges', () => {
  const parser = new XMLParser({ ignoreAttributes: false });
  const svgText = (svg: string): string => {
    expect(XMLValidator.validate(svg)).toBe(true);
    parser.parse(svg);
    return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(' ');
  };

  it('shows the latest branch run: pass with its level, then fail; a PR run does not move it', async () => {
    finished(h.store, 'r1', req('custom-html'), { state: 'passed', verdict: 'pass', level: 5 });
    let res = await h.app.inject('/badge/custom-html.svg');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.etag).toMatch(/^".+"$/);
    expect(svgText(res.body)).toContain('pass L5');
    expect(res.body).toContain('cc-ci');

    // Revalidation with the ETag: 304, no body.
    const again = await h.app.inject({
      url: '/badge/custom-html.svg',
      headers: { 'if-none-match': res.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');

    finished(h.store, 'r2', req('custom-html', { pr: 7 }), { state: 'failed', verdict: 'fail', level: 0 });
    expect(svgText((await h.app.inject('/badge/custom-html.svg')).body)).toContain('pass L5');

    finished(h.store, 'r3', req('custom-html'), { state: 'failed', verdict: 'fail', level: 1 });
    res = await h.app.inject('/badge/custom-html.svg');
    expect(svgText(res.body)).toContain('fail L1');
    expect(res.headers.etag).not.toBe(again.headers.etag);

    finished(h.store, 'r4', req('custom-html'), { state: 'errored', verdict: 'error', level: 0 });
    expect(svgText((await h.app.inject('/badge/custom-html.svg')).body)).toContain('error');
  });

  it('titles the SVG with each na stage of the badge run: why, and whether it counted for the level', async () => {
    const run = finished(h.store, 'na1', req('custom-html'), { state: 'passed', verdict: 'pass', level: 5 });
    const files = h.runs.runFiles(run.id);
    mkdirSync(dirname(files.results), { recursive: true });
    const results: RunResults = {
      schemaVersion: 2,
      runId: run.id,
      recipe: 'custom-html',
      repo: run.repo,
      ref: 'main',
      versions: {},
      startedAt: run.startedAt!,
      finishedAt: run.finishedAt!,
      durationMs: 1000,
      spec: { source: 'operator', path: 'custom-html/ci.yml' },
      stages: [
        stage('install', 'pass'),
        { name: 'upgrade', status: 'na', reason: 'no release tag below the head', naBy: 'cc-ci', checks: [] },
        stage('backup', 'pass'),
        { name: 'recipe-local', status: 'na', reason: 'needs <a> mail server', naBy: 'operator', checks: [] },
        stage('lint', 'pass'),
      ],
      level: 5,
      verdict: 'pass',
      apps: [],
      teardown: { clean: true, left: [], durationMs: 0 },
      artifacts: [],
    };
    writeFileSync(files.results, JSON.stringify(results));
    const svg = (await h.app.inject('/badge/custom-html.svg')).body;
    expect(XMLValidator.validate(svg)).toBe(true);
    const title = (parser.parse(svg) as { svg: { title: string } }).svg.title;
    expect(title).toBe(
      'cc-ci: pass L5 · na upgrade, not counted (found at run time): no release tag below the head · ' +
        "na recipe-local, counts (cc-ci's spec): needs <a> mail server",
    );
  });

  it('follows a store change nobody reported within LOOKUP_TTL_MS', async () => {
    finished(h.store, 'r1', req('custom-html'), { state: 'passed', verdict: 'pass', level: 5 });
    expect((await h.app.inject('/badge/custom-html.json')).json()).toMatchObject({ message: 'pass L5' });
    finished(h.store, 'r2', req('custom-html'), { state: 'failed', verdict: 'fail', level: 2 }, true);
    await new Promise((r) => setTimeout(r, LOOKUP_TTL_MS + 50));
    expect((await h.app.inject('/badge/custom-html.json')).json()).toMatchObject({ message: 'fail L2' });
  });

  it('answers the shields endpoint format exactly', async () => {
    finished(h.store, 'r1', req('custom-html'), { state: 'passed', verdict: 'pass', level: 4 });
    const res = await h.app.inject('/badge/custom-html.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.json()).toStrictEqual({ schemaVersion: 1, label: 'cc-ci', message: 'pass L4', color: 'green' });
    finished(h.store, 'r2', req('custom-html'), { state: 'failed', verdict: 'fail', level: 1 });
    expect(res.headers.etag).not.toBe((await h.app.inject('/badge/custom-html.json')).headers.etag);
    expect((await h.app.inject('/badge/custom-html.json')).json()).toStrictEqual({
      schemaVersion: 1,
      label: 'cc-ci',
      message: 'fail L1',
      color: 'red',
    });
  });

  it('is grey "no runs" for a known recipe that never ran, also when only PRs ran', async () => {
    for (const name of ['never-run', 'spec-only']) {
      const svg = await h.app.inject(`/badge/${name}.svg`);
      expect(svg.statusCode).toBe(200);
      expect(svgText(svg.body)).toContain('no runs');
      expect((await h.app.inject(`/badge/${name}.json`)).json()).toStrictEqual({
        schemaVersion: 1,
        label: 'cc-ci',
        message: 'no runs',
        color: 'lightgrey',
      });
    }
    finished(h.store, 'p1', req('never-run', { pr: 3 }), { state: 'passed', verdict: 'pass', level: 5 });
    expect((await h.app.inject('/badge/never-run.json')).json()).toMatchObject({ message: 'no runs' });
  });

  it('is 404 for an unknown recipe, a bad name or another suffix', async () => {
    for (const url of [
      '/badge/unknown.svg',
      '/badge/unknown.json',
      '/badge/..%2Fetc.svg',
      '/badge/Custom-Html.svg',
      '/badge/custom-html.png',
      '/badge/custom-html',
      '/badge/.svg',
    ]) {
      const res = await h.app.inject(url);
      expect(res.statusCode, url).toBe(404);
    }
    // A recipe that is not enrolled but has runs (run through the API with a repo) has a badge.
    finished(h.store, 'x1', req('adhoc'), { state: 'passed', verdict: 'pass', level: 2 });
    expect((await h.app.inject('/badge/adhoc.json')).json()).toMatchObject({ message: 'pass L2' });
  });
});

describe('GET /api/runs, /api/runs/:id, /api/recipes', () => {
  beforeEach(() => {
    finished(h.store, 'a1', req('custom-html'), { state: 'passed', verdict: 'pass', level: 5 });
    finished(h.store, 'a2', req('custom-html', { pr: 7 }), { state: 'failed', verdict: 'fail', level: 1 });
    h.store.insertRun('b1', req('other', { pr: 2 }), tick());
    h.store.finishRun(
      'b1',
      { state: 'superseded', error: { code: 'SUPERSEDED', message: 'superseded by run b2' }, supersededBy: 'b2' },
      tick(),
    );
    h.store.insertRun('b2', req('other', { pr: 2 }), tick());
    h.store.markRunning('b2', 99, tick());
    h.store.setCurrentStage('b2', 'install');
    h.store.recordStage('b2', stage('install', 'pass'));
    h.store.insertRun('c1', req('custom-html'), tick());
    h.store.insertRun('c2', req('other'), tick());
  });

  it('lists every run newest first with the fields of the design', async () => {
    const res = await h.app.inject('/api/runs');
    expect(res.statusCode).toBe(200);
    const { runs } = res.json() as { runs: Array<Record<string, unknown>> };
    expect(runs.map((r) => r.id)).toEqual(['c2', 'c1', 'b2', 'b1', 'a2', 'a1']);
    for (const r of runs) {
      for (const key of [
        'id',
        'recipe',
        'ref',
        'sha',
        'pr',
        'state',
        'verdict',
        'level',
        'createdAt',
        'finishedAt',
        'error',
        'supersededBy',
        'startedAt',
        'currentStage',
      ]) {
        expect(r, `${r.id as string}.${key}`).toHaveProperty(key);
      }
      expect(r).not.toHaveProperty('pid');
    }
    expect(runs.find((r) => r.id === 'b1')).toMatchObject({
      state: 'superseded',
      supersededBy: 'b2',
      error: { code: 'SUPERSEDED' },
      pr: 2,
    });
    expect(runs.find((r) => r.id === 'a1')).toMatchObject({
      state: 'passed',
      verdict: 'pass',
      level: 5,
      sha: 'a'.repeat(40),
      pr: null,
      trigger: { kind: 'forge', by: 'someone' },
    });
    expect(runs.find((r) => r.id === 'b2')).toMatchObject({
      state: 'running',
      currentStage: 'install',
      finishedAt: null,
    });
  });

  it('filters by recipe, state and limit', async () => {
    const ids = async (q: string) =>
      ((await h.app.inject(`/api/runs?${q}`)).json() as { runs: Array<{ id: string }> }).runs.map((r) => r.id);
    expect(await ids('recipe=other')).toEqual(['c2', 'b2', 'b1']);
    expect(await ids('state=queued')).toEqual(['c2', 'c1']);
    expect(await ids('recipe=custom-html&state=failed')).toEqual(['a2']);
    expect(await ids('limit=2')).toEqual(['c2', 'c1']);
    expect(await ids('limit=1000')).toHaveLength(6);
    expect(await ids('recipe=nobody')).toEqual([]);
  });

  it.each([
    ['state=done', 'state'],
    ['state=', 'state'],
    ['state=queued&state=running', 'state'],
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1.5', 'limit'],
    ['recipe=../etc', 'recipe'],
  ])('refuses ?%s with 400 naming %s', async (q, field) => {
    const res = await h.app.inject(`/api/runs?${q}`);
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INPUT_INVALID');
    expect(body.error.message.startsWith(`${field}:`)).toBe(true);
  });

  it('shows one run with its stages, and its queue position while queued; 404 otherwise', async () => {
    const running = (await h.app.inject('/api/runs/b2')).json() as Record<string, unknown>;
    expect(running).toMatchObject({ id: 'b2', state: 'running', queuePosition: null });
    expect(running.stages).toEqual([
      expect.objectContaining({
        name: 'install',
        status: 'pass',
        checks: [expect.objectContaining({ name: 'install check' })],
      }),
    ]);
    expect((await h.app.inject('/api/runs/c2')).json()).toMatchObject({
      state: 'queued',
      queuePosition: 2,
      stages: [],
    });
    for (const id of ['nope', '..%2F..%2Fetc', '-x', 'a.b', 'x'.repeat(81), TOKEN]) {
      const res = await h.app.inject(`/api/runs/${id}`);
      expect(res.statusCode, id).toBe(404);
      // Not echoed: a masked echo would tell a guesser that the guess was the admin token.
      expect(res.json(), id).toEqual({ error: { code: 'NOT_FOUND', message: 'no such run' } });
    }
  });

  it('lists every known recipe with its latest run and badge', async () => {
    const { recipes } = (await h.app.inject('/api/recipes')).json() as {
      recipes: Array<{ name: string; latest: unknown; badge: unknown }>;
    };
    expect(recipes.map((r) => r.name)).toEqual(['custom-html', 'never-run', 'other', 'spec-only']);
    expect(recipes[0]).toMatchObject({
      latest: { id: 'c1', state: 'queued', verdict: null },
      badge: { runId: 'a1', message: 'pass L5', color: 'green', verdict: 'pass', level: 5 },
    });
    expect(recipes[1]).toEqual({ name: 'never-run', repo: 'coop-cloud/never-run', latest: null, badge: null });
    expect(recipes[2]).toMatchObject({ name: 'other', repo: null });
    expect(recipes[2]).toMatchObject({ latest: { id: 'c2', state: 'queued' }, badge: null });
  });
});

describe('GET /api/recipes/:recipe/history', () => {
  const clockAt = (iso: string) => {
    h.deps.clock = { now: () => new Date(iso) } as ServerDeps['clock'];
  };

  it('answers the badge runs of the last 90 days, oldest first; no PR runs, no unfinished ones', async () => {
    finished(h.store, 'h1', req('custom-html'), { state: 'passed', verdict: 'pass', level: 5 });
    finished(h.store, 'h2', req('custom-html', { pr: 7 }), { state: 'failed', verdict: 'fail', level: 1 });
    finished(h.store, 'h3', req('custom-html'), { state: 'failed', verdict: 'fail', level: 3 });
    finished(h.store, 'h4', req('custom-html'), { state: 'errored', verdict: 'error' });
    finished(h.store, 'h5', req('other'), { state: 'passed', verdict: 'pass', level: 2 });
    h.store.insertRun('h6', req('custom-html'), tick());
    clockAt(new Date(t + 60_000).toISOString());

    const res = await h.app.inject('/api/recipes/custom-html/history');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { recipe: string; days: number; limit: number; points: Array<Record<string, unknown>> };
    expect(body).toMatchObject({ recipe: 'custom-html', days: 90, limit: 500 });
    expect(body.points).toEqual([
      {
        runId: 'h1',
        finishedAt: h.store.getRun('h1')!.finishedAt,
        verdict: 'pass',
        level: 5,
        sha: 'a'.repeat(40),
      },
      expect.objectContaining({ runId: 'h3', verdict: 'fail', level: 3 }),
      expect.objectContaining({ runId: 'h4', verdict: 'error', level: null }),
    ]);
  });

  it('leaves out runs older than 90 days', async () => {
    finished(h.store, 'old', req('custom-html'), { state: 'passed', verdict: 'pass', level: 5 });
    const end = Date.parse(h.store.getRun('old')!.finishedAt!);
    clockAt(new Date(end + 90 * 86_400_000 - 1000).toISOString());
    expect((await h.app.inject('/api/recipes/custom-html/history')).json()).toMatchObject({
      points: [{ runId: 'old' }],
    });
    clockAt(new Date(end + 90 * 86_400_000 + 1000).toISOString());
    expect((await h.app.inject('/api/recipes/custom-html/history')).json()).toMatchObject({ points: [] });
  });

  it('is empty for a known recipe that never ran, 404 for an unknown one, 400 for a bad name', async () => {
    expect((await h.app.inject('/api/recipes/never-run/history')).json()).toEqual({
      recipe: 'never-run',
      days: 90,
      limit: 500,
      points: [],
    });
    const unknown = await h.app.inject('/api/recipes/nobody/history');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const bad = await h.app.inject('/api/recipes/..%2Fetc/history');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'INPUT_INVALID', message: expect.stringMatching(/^recipe: /) } });
  });
});

describe('POST /api/runs', () => {
  const post = (body: unknown, headers: Record<string, string> = auth) =>
    h.app.inject({
      method: 'POST',
      url: '/api/runs',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(body),
    });

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer wrong' }],
    ['the token without Bearer', { authorization: TOKEN }],
    ['the token with a suffix', { authorization: `Bearer ${TOKEN}x` }],
  ])('refuses %s with 401 and queues nothing, before it looks at the body', async (_what, headers) => {
    for (const payload of [{ recipe: 'custom-html', ref: 'main' }, { recipe: '../etc' }]) {
      const res = await post(payload, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      expect(res.body).not.toContain(TOKEN);
    }
    const broken = await h.app.inject({
      method: 'POST',
      url: '/api/runs',
      headers: { 'content-type': 'application/json', ...headers },
      payload: '{not json',
    });
    expect(broken.statusCode).toBe(401);
    expect(h.runs.enqueued).toEqual([]);
    expect(h.store.listRuns()).toEqual([]);
  });

  it('queues a run with the token: 201 with the run, the enrolled repository by default', async () => {
    const res = await post({
      recipe: 'custom-html',
      ref: 'refs/pull/7/head',
      pr: 7,
      stages: ['install', 'lint'],
      keep: true,
    });
    expect(res.statusCode).toBe(201);
    const run = res.json() as Record<string, unknown>;
    expect(run).toMatchObject({
      id: 'api-1',
      state: 'queued',
      recipe: 'custom-html',
      ref: 'refs/pull/7/head',
      pr: 7,
      queuePosition: 1,
      trigger: { kind: 'api' },
    });
    expect(res.headers.location).toBe('/api/runs/api-1');
    expect(h.runs.enqueued).toEqual([
      {
        recipe: 'custom-html',
        repo: 'https://git.example.org/coop-cloud/custom-html.git',
        ref: 'refs/pull/7/head',
        pr: 7,
        stages: ['install', 'lint'],
        keep: true,
        trigger: { kind: 'api' },
      },
    ]);

    const second = await post({
      recipe: 'adhoc',
      ref: 'main',
      repo: 'https://mirror.example.org/someone/adhoc.git',
      stages: 'install, upgrade',
    });
    expect(second.statusCode).toBe(201);
    expect(h.runs.enqueued[1]).toEqual({
      recipe: 'adhoc',
      repo: 'https://mirror.example.org/someone/adhoc.git',
      ref: 'main',
      pr: undefined,
      stages: ['install', 'upgrade'],
      keep: false,
      trigger: { kind: 'api' },
    });
  });

  it('refuses a repo with a password in it, and neither stores nor shows the password', async () => {
    const password = 'dummy-password-5be1c0';
    for (const repo of [
      `https://bot:${password}@git.example.org/coop-cloud/custom-html.git`,
      `https://${password}@mirror.example.org/someone/adhoc.git`,
    ]) {
      const res = await post({ recipe: 'custom-html', ref: 'main', repo });
      expect(res.statusCode, repo).toBe(400);
      expect(res.body).toMatch(/repo: .*carries credentials.*credential helper/);
      expect(res.body).not.toContain(password);
    }
    expect(h.runs.enqueued).toEqual([]);
    expect(h.store.listRuns({ limit: 1000 })).toEqual([]);
  });

  it.each([
    [{ recipe: 'custom-html', ref: '--upload-pack=x' }, 'ref', /starts with "-"/],
    [{ recipe: '../etc', ref: 'main' }, 'recipe', /invalid recipe name/],
    [{ recipe: 'custom-html', ref: 'main', repo: 'ext::sh -c touch% /tmp/pwned' }, 'repo', /invalid repository URL/],
    [{ recipe: 'custom-html', ref: 'main', repo: '--upload-pack=x' }, 'repo', /invalid repository URL/],
    [{ recipe: 'custom-html' }, 'ref', /expected string/i],
    [{ ref: 'main' }, 'recipe', /expected string/i],
    [{ recipe: 'custom-html', ref: 'main', pr: 0 }, 'pr', /./],
    [{ recipe: 'custom-html', ref: 'main', pr: -3 }, 'pr', /./],
    [{ recipe: 'custom-html', ref: 'main', pr: 1.5 }, 'pr', /./],
    [{ recipe: 'custom-html', ref: 'main', pr: '7' }, 'pr', /./],
    [{ recipe: 'custom-html', ref: 'main', stages: ['install', 'deploy'] }, 'stages', /unknown stage "deploy"/],
    [{ recipe: 'custom-html', ref: 'main', stages: [] }, 'stages', /no stage given/],
    [{ recipe: 'custom-html', ref: 'main', stages: ['install,lint'] }, 'stages', /own list item/],
    [{ recipe: 'custom-html', ref: 'main', keep: 'yes' }, 'keep', /./],
    [{ recipe: 'custom-html', ref: 'main', branch: 'x' }, '"branch"', /unknown field/],
    [{ recipe: 'not-enrolled', ref: 'main' }, 'repo', /not an enrolled repository/],
    [{ recipe: 'adhoc', ref: 'main', repo: 'file:///srv/recipes/adhoc' }, 'repo', /only from the forge's origin/],
    [{ recipe: 'adhoc', ref: 'main', repo: 'http://127.0.0.1:9/x.git' }, 'repo', /dashboard\.allowedRepoOrigins/],
    [{ recipe: 'adhoc', ref: 'main', repo: 'https://git.example.org.evil.example/x.git' }, 'repo', /origin/],
    [[1, 2], 'body', /JSON object/],
  ])('refuses %j with 400 naming %s', async (body, field, why) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    const { error } = res.json() as { error: { code: string; message: string } };
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message.startsWith(`${field}:`), error.message).toBe(true);
    expect(error.message).toMatch(why);
    expect(h.runs.enqueued).toEqual([]);
  });
});

describe('POST /api/runs/:id/cancel', () => {
  const cancel = (id: string, headers: Record<string, string> = auth) =>
    h.app.inject({ method: 'POST', url: `/api/runs/${id}/cancel`, headers });

  it('refuses without the token, and answers 404 for an unknown run', async () => {
    h.store.insertRun('q1', req('custom-html'), tick());
    expect((await cancel('q1', {})).statusCode).toBe(401);
    expect((await cancel('q1', { authorization: 'Bearer nope' })).statusCode).toBe(401);
    expect((await cancel('missing')).statusCode).toBe(404);
    expect((await cancel('a.b')).statusCode).toBe(404);
    expect(h.runs.cancelled).toEqual([]);
  });

  it('answers 409 with the state for a finished run', async () => {
    finished(h.store, 'f1', req('custom-html'), { state: 'passed', verdict: 'pass', level: 5 });
    const res = await cancel('f1');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'RUN_FINISHED' }, state: 'passed' });
    expect(h.runs.cancelled).toEqual([]);
  });

  it('starts cancelling a running run and answers 202 at once', async () => {
    h.store.insertRun('r1', req('custom-html'), tick());
    h.store.markRunning('r1', 77, tick());
    const res = await cancel('r1');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: 'r1', state: 'running' });
    expect(h.runs.cancelled).toEqual([{ id: 'r1', message: 'cancelled through the API' }]);
  });
});

describe('admin switched off', () => {
  it('answers 401 on admin routes when no admin token is configured', async () => {
    const off = await harness(configFile('no-admin', {}));
    try {
      expect(off.deps.config.secrets.adminToken).toBeUndefined();
      for (const [url, payload] of [
        ['/api/runs', { recipe: 'custom-html', ref: 'main' }],
        ['/api/runs/x/cancel', {}],
      ] as const) {
        for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: 'Bearer undefined' }]) {
          const res = await off.app.inject({ method: 'POST', url, headers, payload });
          expect(res.statusCode).toBe(401);
          expect((res.json() as { error: { message: string } }).error.message).toMatch(
            /admin is switched off.*dashboard\.adminTokenFile/,
          );
        }
      }
      expect(off.runs.enqueued).toEqual([]);
    } finally {
      off.metrics.close();
      await off.app.close();
      off.store.close();
    }
  });
});

describe('/metrics and /healthz', () => {
  it('exposes run counts, durations and reaped apps in the Prometheus text format', async () => {
    finished(h.store, 'm1', req('custom-html'), { state: 'passed', verdict: 'pass', level: 5 });
    finished(h.store, 'm2', req('custom-html'), { state: 'failed', verdict: 'fail', level: 1 });
    h.store.insertRun('m3', req('custom-html'), tick());
    h.store.insertRun('m4', req('other'), tick());
    h.store.insertRun('m5', req('other', { pr: 1 }), tick());
    h.store.markRunning('m5', 5, tick());
    const run = h.store.getRun('m1')!;
    h.runs.emit(run, { type: 'stage-finished', stage: 'install', result: stage('install', 'pass', 42_000) });
    h.runs.emit(run, { type: 'stage-finished', stage: 'lint', result: stage('lint', 'fail', 3_000) });
    h.runs.emit(run, {
      type: 'run-finished',
      exitCode: 0,
      results: { verdict: 'pass', durationMs: 250_000 } as RunResults,
    });
    h.metrics.reaped(3);
    h.metrics.reaped(0);
    h.runs.where = [
      { executor: 'drone', host: 'runner-a' },
      { executor: 'drone', host: 'runner-b' },
      { executor: 'drone', host: 'runner-a' },
    ];

    const res = await h.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toContain('ccci_runs{state="passed"} 1');
    expect(text).toContain('ccci_runs{state="failed"} 1');
    expect(text).toContain('ccci_runs{state="queued"} 2');
    expect(text).toContain('ccci_runs{state="running"} 1');
    expect(text).toContain('ccci_runs{state="interrupted"} 0');
    expect(text).toMatch(/^ccci_queue_depth 2$/m);
    expect(text).toMatch(/^ccci_runs_running 1$/m);
    expect(text).toContain('ccci_runs_running_by_host{executor="drone",host="runner-a"} 2');
    expect(text).toContain('ccci_runs_running_by_host{executor="drone",host="runner-b"} 1');
    expect(text).toContain('ccci_run_duration_seconds_count{verdict="pass"} 1');
    expect(text).toContain('ccci_run_duration_seconds_sum{verdict="pass"} 250');
    expect(text).toContain('ccci_stage_duration_seconds_count{stage="install",status="pass"} 1');
    expect(text).toContain('ccci_stage_duration_seconds_sum{stage="lint",status="fail"} 3');
    expect(text).toMatch(/^ccci_janitor_reaped_total 3$/m);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');

    // A fresh scrape reads the store again, once for the three run gauges.
    h.store.insertRun('m6', req('other'), tick());
    const count = h.store.countByState.bind(h.store);
    let reads = 0;
    h.store.countByState = () => {
      reads++;
      return count();
    };
    expect((await h.app.inject('/metrics')).body).toMatch(/^ccci_queue_depth 3$/m);
    expect(reads).toBe(1);
  });

  it('health: 200 with the queue while the store answers, 503 when it cannot be read', async () => {
    h.store.insertRun('h1', req('custom-html'), tick());
    h.store.insertRun('h2', req('other'), tick());
    h.store.markRunning('h2', 1, tick());
    const ok = await h.app.inject('/healthz');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'ok', queued: 1, running: 1 });
    h.store.close();
    const down = await h.app.inject('/healthz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'error' });
    h.store = new RunStore(':memory:'); // for afterEach
  });

  it('says draining (still 200) while serve --drain waits for its running runs, and until when', async () => {
    h.store.insertRun('d1', req('custom-html'), tick());
    const runs: RunControl = h.runs;
    runs.drainState = () => ({ running: 2, until: new Date('2026-01-01T01:00:00Z') });
    const res = await h.app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'draining',
      queued: 1,
      running: 0,
      draining: { running: 2, until: '2026-01-01T01:00:00.000Z' },
    });
  });
});
