// The dashboard's pages, the log stream and the artifacts route, on a bare fastify with only
// these routes: an in-memory store, a fake run control (records enqueue and cancel, emits
// changes), a real config from a small YAML. Escaping, 404s, artifact names that try to leave
// the folder, the admin forms with and without the token, the live log over SSE (existing
// lines, appended lines, the end) and the plain-text log of a finished run.
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import type { RunResults } from '../../../src/model/results.js';
import type { StageResult } from '../../../src/model/stage.js';
import { FakeRunControl } from '../../support/fake-run-control.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { registerArtifacts } from '../../../src/server/artifacts.js';
import { formatLog, LogFormatter, registerLogStream } from '../../../src/server/log-stream.js';
import { markup, raw } from '../../../src/server/pages/html.js';
import { registerPages } from '../../../src/server/pages/routes.js';
import type { ServerDeps } from '../../../src/server/server-deps.js';

const TOKEN = 'admin-token-for-tests-0123';
const SECRET = 'very-secret-db-password-xyz';
const root = mkdtempSync(join(tmpdir(), 'cc-ci-pages-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The pages' cache listens for changes for the server's life; the live log adds one per client.
const pageListeners = 1;

interface World {
  app: FastifyInstance;
  store: RunStore;
  runs: FakeRunControl;
  secrets: SecretRegistry;
  dir: string;
  artifacts(id: string): string;
}

let world: World;

async function makeWorld(known: string[] = []): Promise<World> {
  const dir = mkdtempSync(join(root, 'w-'));
  writeFileSync(join(dir, 'cc-ci.yml'), 'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n');
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), env: { CCCI_ADMIN_TOKEN: TOKEN }, secrets });
  secrets.add(SECRET);
  const store = new RunStore(':memory:');
  const runs = new FakeRunControl(store, config.store, { idPrefix: 'rerun', cancel: 'record' });
  const deps: ServerDeps = {
    config,
    store,
    runs,
    secrets,
    log: pino({ level: 'silent' }),
    metrics: {} as ServerDeps['metrics'],
    recipes: () => known,
  };
  const app = Fastify({ logger: false });
  await app.register(formbody);
  registerArtifacts(app, deps);
  registerLogStream(app, deps);
  registerPages(app, deps);
  await app.ready();
  const artifacts = (id: string) => {
    const d = join(runs.runFiles(id).dir, 'artifacts');
    mkdirSync(d, { recursive: true });
    return d;
  };
  return { app, store, runs, secrets, dir, artifacts };
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
  checks: StageResult['checks'],
  extra: Partial<StageResult> = {},
): StageResult {
  return { name, status, checks, durationMs: 1234, ...extra };
}

const failingInstall = stage(
  'install',
  'fail',
  [
    { name: 'abra app new', status: 'pass', detail: 'cust-abc123.ci.test', durationMs: 900 },
    {
      name: 'health GET /',
      status: 'fail',
      code: 'CHECK_FAILED',
      detail: 'GET / -> 502 Bad Gateway after 30 s',
      durationMs: 30_000,
    },
  ],
  { code: 'CHECK_FAILED', reason: 'health GET / failed' },
);

function pinoLine(
  msg: string,
  extra: Record<string, unknown> = {},
  level = 30,
  time = Date.UTC(2026, 10, 30, 13, 26, 49),
): string {
  return JSON.stringify({ level, time, ...extra, msg }) + '\n';
}

beforeEach(async () => {
  world = await makeWorld(['custom-html', 'never-run']);
});
afterEach(async () => {
  await world.app.close();
  world.store.close();
});

describe('html', () => {
  it('escapes every interpolated value unless it is raw or html', () => {
    const evil = '<script>alert("x")</script>&\'';
    expect(markup`<p>${evil}</p>`.value).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
    expect(markup`<p>${raw('<b>ok</b>')}${markup`<i>${'<'}</i>`}${[1, '<', undefined, null, false]}</p>`.value).toBe(
      '<p><b>ok</b><i>&lt;</i>1&lt;</p>',
    );
    expect(markup`<a title="${'" onmouseover="x'}">`.value).toBe('<a title="&quot; onmouseover=&quot;x">');
  });

  it('shows a hostile ref escaped on every page', async () => {
    const run = world.store.insertRun(
      'r-evil',
      request({ ref: '<script>alert(1)</script>', recipe: '<img src=x onerror=alert(1)>' }),
    );
    for (const url of ['/', '/runs/r-evil']) {
      const res = await world.app.inject(url);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(res.body).not.toContain('<script>alert(1)');
      expect(res.body).not.toContain('<img src=x');
    }
    expect(run.id).toBe('r-evil');
  });
});

describe('pages', () => {
  it('overview: every known recipe with its latest state, queued and running runs first', async () => {
    const { store, runs } = world;
    store.insertRun('r-pass', request());
    runs.finish('r-pass', { state: 'passed', verdict: 'pass', level: 5, sha: 'b22d2e6e7772a8b0' });
    store.insertRun('r-fail', request({ recipe: 'keycloak', pr: 7 }));
    runs.finish('r-fail', { state: 'failed', verdict: 'fail', level: 0 });
    store.insertRun('r-run', request({ recipe: 'lasuite-docs' }));
    store.markRunning('r-run', 4242);
    store.setCurrentStage('r-run', 'upgrade');
    store.insertRun('r-q1', request({ recipe: 'matrix-synapse', ref: 'pr-3' }));
    store.insertRun('r-q2', request({ recipe: 'keycloak', ref: 'pr-8', pr: 8 }));
    const res = await world.app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const body = res.body;
    for (const name of ['custom-html', 'never-run', 'keycloak', 'lasuite-docs', 'matrix-synapse'])
      expect(body).toContain(`href="/recipes/${name}"`);
    expect(body).toContain('<img src="/badge/custom-html.svg"');
    expect(body).toContain('no runs yet');
    // "Now" comes before the recipes, with the stage and the queue position.
    const now = body.indexOf('<h2>Now');
    const recipes = body.indexOf('<h2>Recipes');
    expect(now).toBeGreaterThan(0);
    expect(recipes).toBeGreaterThan(now);
    const nowPart = body.slice(now, recipes);
    expect(nowPart).toContain('href="/runs/r-run"');
    expect(nowPart).toMatch(/stage <b>upgrade<\/b>/);
    expect(nowPart).toContain('#1 in the queue');
    expect(nowPart).toContain('#2 in the queue');
    expect(nowPart.indexOf('r-run')).toBeLessThan(nowPart.indexOf('r-q1'));
    const recipesPart = body.slice(recipes);
    expect(recipesPart).toMatch(/custom-html[\s\S]*?pill pass">passed/);
    expect(recipesPart).toMatch(/keycloak[\s\S]*?pill queued">queued/); // its latest run is r-q2
    expect(recipesPart).toContain('L5');
  });

  it('overview stays fast with 200 recipes and 100 000 runs', async () => {
    const { store } = world;
    // Written in three statements (insertRun a run at a time takes a quarter of a minute); the
    // last ten runs stay queued.
    (store as unknown as { db: { exec(sql: string): void } }).db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
      INSERT INTO runs (id, recipe, repo, ref, stages, keep, trigger, state, verdict, level, created_at, finished_at)
      SELECT printf('bulk-%06d', i), 'recipe-' || (i % 200), 'https://x', 'main', '[]', 0, '{"kind":"api"}',
        CASE WHEN i < 99990 THEN 'passed' ELSE 'queued' END, CASE WHEN i < 99990 THEN 'pass' END,
        CASE WHEN i < 99990 THEN 5 END,
        strftime('%Y-%m-%dT%H:%M:%fZ', 1767225600 + i, 'unixepoch'),
        CASE WHEN i < 99990 THEN strftime('%Y-%m-%dT%H:%M:%fZ', 1767225600 + i + 60, 'unixepoch') END
      FROM n;
      INSERT INTO recipes (name, latest_run) SELECT recipe, MAX(id) FROM runs GROUP BY recipe;`);
    expect(store.countByState().passed).toBe(99_990);
    const started = performance.now();
    const res = await world.app.inject('/');
    const took = performance.now() - started;
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('recipe-199');
    expect(took).toBeLessThan(1000);
    const page = await world.app.inject('/recipes/recipe-195');
    expect(page.statusCode).toBe(200);
    expect(page.body.match(/href="\/runs\/bulk-/g)?.length).toBeGreaterThanOrEqual(100);
    expect(page.body.indexOf('bulk-099995')).toBeLessThan(page.body.indexOf('bulk-099795'));
  });

  it('recipe history: newest first, with ref, PR, sha, state, verdict, level; 404 for unknown recipes', async () => {
    const { store, runs } = world;
    store.insertRun('h-1', request({ ref: 'v1' }), new Date('2026-11-01T10:00:00Z'));
    runs.finish('h-1', { state: 'passed', verdict: 'pass', level: 5, sha: '0123456789abcdef' });
    store.insertRun('h-2', request({ ref: 'pr-7', pr: 7 }), new Date('2026-11-02T10:00:00Z'));
    runs.finish('h-2', { state: 'failed', verdict: 'fail', level: 1, sha: 'fedcba9876543210' });
    const res = await world.app.inject('/recipes/custom-html');
    expect(res.statusCode).toBe(200);
    expect(res.body.indexOf('h-2')).toBeLessThan(res.body.indexOf('h-1'));
    expect(res.body).toContain('PR #7');
    expect(res.body).toContain('fedcba98');
    expect(res.body).not.toContain('fedcba9876543210');
    expect((await world.app.inject('/recipes/never-run')).statusCode).toBe(200);
    await world.app.listen({ host: '127.0.0.1', port: 0 });
    for (const url of [
      '/recipes/unknown-recipe',
      '/recipes/..',
      '/recipes/%2e%2e',
      '/recipes/%3Cx%3E',
      '/runs/nope',
      '/runs/..',
      '/runs/..%2F..',
      '/runs/-x',
      `/runs/${'a'.repeat(81)}`,
    ]) {
      const r = await rawGet(world.app, url);
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['content-type'], url).toMatch(/text\/html/);
    }
  });

  it('run page: header, stages with the failing message visible, screenshots, artifacts, admin forms', async () => {
    const { store, runs } = world;
    store.insertRun(
      'r-f',
      request({
        ref: 'pr-7',
        pr: 7,
        trigger: { kind: 'forge', by: 'decentral1se', forgeRepo: 'coop-cloud/custom-html', commentId: 3 },
      }),
    );
    store.markRunning('r-f', 1);
    store.recordStage('r-f', failingInstall);
    store.recordStage(
      'r-f',
      stage('upgrade', 'pass', [{ name: 'version label moved', status: 'pass', detail: '1.0.0 → 1.1.0' }]),
    );
    runs.finish('r-f', { state: 'failed', verdict: 'fail', level: 0, sha: 'b22d2e6e7772a8b03224fdb54671781b93c55326' });
    const art = world.artifacts('r-f');
    writeFileSync(join(art, 'install-screenshot.png'), 'png');
    writeFileSync(join(art, 'results.json'), '{}');
    writeFileSync(
      join(art, 'run.log'),
      pinoLine('run r-f: custom-html at pr-7') + pinoLine('health GET / failed', {}, 50),
    );
    const res = await world.app.inject('/runs/r-f');
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body).toContain('pill fail big">failed');
    expect(body).toContain('b22d2e6e');
    expect(body).toContain('!testme by decentral1se');
    expect(body).toContain('GET / -&gt; 502 Bad Gateway after 30 s');
    expect(body).toMatch(/<details class="stage fail" open>/);
    expect(body).toMatch(/<details class="stage pass">/);
    expect(body).toContain('<img src="/runs/r-f/artifacts/install-screenshot.png"');
    expect(body).toContain('href="/runs/r-f/artifacts/results.json"');
    expect(body).toContain('13:26:49 ERROR health GET / failed');
    expect(body).not.toContain('action="/runs/r-f/cancel"'); // finished: nothing to cancel
    expect(body).toMatch(/<form method="post" action="\/runs\/r-f\/rerun"><input type="password" name="token"/);
    expect(body).not.toContain('<script'); // a finished run's page has no script
  });

  it('run page: a finished run the store has no stage rows of falls back to results.json', async () => {
    const { store, runs } = world;
    store.insertRun('r-old', request());
    runs.finish('r-old', {
      state: 'errored',
      verdict: 'error',
      level: 0,
      error: { code: 'DOCKER_FAILED', message: 'the Docker Engine API is unreachable' },
    });
    const results: RunResults = {
      schemaVersion: 2,
      runId: 'r-old',
      recipe: 'custom-html',
      repo: 'x',
      ref: 'main',
      versions: { head: '1.1.0' },
      startedAt: '2026-11-30T13:26:49.442Z',
      finishedAt: '2026-11-30T13:27:28.382Z',
      durationMs: 38940,
      stages: [
        stage(
          'install',
          'error',
          [
            {
              name: 'converged',
              status: 'error',
              code: 'DOCKER_FAILED',
              detail: 'connect ENOENT /var/run/docker.sock',
            },
          ],
          { code: 'DOCKER_FAILED', reason: 'Docker broke' },
        ),
      ],
      level: 0,
      verdict: 'error',
      apps: [],
      teardown: { clean: false, left: ['volume x_content'], durationMs: 10 },
      error: { code: 'DOCKER_FAILED', message: 'the Docker Engine API is unreachable' },
      artifacts: ['results.json'],
    };
    writeFileSync(join(world.artifacts('r-old'), 'results.json'), JSON.stringify(results));
    const body = (await world.app.inject('/runs/r-old')).body;
    expect(body).toContain('connect ENOENT /var/run/docker.sock');
    expect(body).toContain('the Docker Engine API is unreachable');
    expect(body).toContain('left volume x_content');
    expect(body).toContain('This run left no log.');
  });

  it('run page: which spec the run used and from where, and whether each na counted for the level', async () => {
    const { store, runs } = world;
    store.insertRun('r-spec', request());
    const upgrade: StageResult = {
      name: 'upgrade',
      status: 'na',
      reason: 'no release tag below the head',
      naBy: 'cc-ci',
      checks: [],
    };
    const local: StageResult = {
      name: 'recipe-local',
      status: 'na',
      reason: 'needs a mail server',
      naBy: 'recipe',
      checks: [],
    };
    store.recordStage('r-spec', upgrade);
    store.recordStage('r-spec', local);
    runs.finish('r-spec', { state: 'passed', verdict: 'pass', level: 1 });
    const results: RunResults = {
      schemaVersion: 2,
      runId: 'r-spec',
      recipe: 'custom-html',
      repo: 'x',
      ref: 'main',
      versions: {},
      startedAt: '2026-11-30T13:26:49.442Z',
      finishedAt: '2026-11-30T13:27:28.382Z',
      durationMs: 38940,
      spec: { source: 'recipe', path: 'tests/cc-ci.yml' },
      stages: [stage('install', 'pass', []), upgrade, local],
      level: 1,
      verdict: 'pass',
      apps: [],
      teardown: { clean: true, left: [], durationMs: 10 },
      artifacts: ['results.json'],
    };
    writeFileSync(join(world.artifacts('r-spec'), 'results.json'), JSON.stringify(results));
    const body = (await world.app.inject('/runs/r-spec')).body;
    expect(body).toContain('<dt>Spec</dt><dd>tests/cc-ci.yml (the recipe&#39;s own, at the tested commit)</dd>');
    expect(body).toContain('not counted (found at run time): no release tag below the head');
    expect(body).toContain('not counted (the recipe&#39;s own spec): needs a mail server');
  });

  it('run page of a running run: live log with the script, cancel form, pending stages, superseded link', async () => {
    const { store } = world;
    store.insertRun('r-live', request({ stages: ['install', 'lint'] }));
    store.markRunning('r-live', 99);
    store.setCurrentStage('r-live', 'install');
    store.setSupersededBy('r-live', 'r-newer');
    writeFileSync(join(world.artifacts('r-live'), 'run.log'), pinoLine('first', { src: 'abra' }) + '{"torn":');
    const res = await world.app.inject('/runs/r-live');
    const body = res.body;
    const nonce = /script-src 'nonce-([^']+)'/.exec(res.headers['content-security-policy'] as string)![1]!;
    expect(body).toContain(`<script nonce="${nonce}">`);
    expect(body).toContain('new EventSource');
    // The page shows the complete lines; the stream goes on right after them.
    expect(body).toMatch(
      /<pre class="log" id="log" data-src="\/runs\/r-live\/log\?offset=\d+">13:26:49 INFO {2}first src=abra\n<\/pre>/,
    );
    expect(body).toContain('action="/runs/r-live/cancel"');
    expect(body).toContain('href="/runs/r-newer"');
    expect(body).toMatch(/stage-name">install<\/span><span class="pill running">running/);
    expect(body).toMatch(/stage-name">lint<\/span><span class="pill queued">pending/);
    expect(body).not.toContain('stage-name">upgrade');
  });
});

describe('admin forms', () => {
  beforeEach(() => {
    world.store.insertRun('r-a', request({ pr: 4, stages: ['install'], keep: true }));
    world.store.markRunning('r-a', 1);
  });

  it.each([
    ['no body', undefined],
    ['no token', ''],
    ['an empty token', 'token='],
    ['a wrong token', 'token=nope'],
    ['a token one character short', `token=${TOKEN.slice(0, -1)}`],
  ])('refuses %s with 401 and changes nothing', async (_what, payload) => {
    for (const action of ['cancel', 'rerun']) {
      const res = await world.app.inject({
        method: 'POST',
        url: `/runs/r-a/${action}`,
        payload,
        headers: payload === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('Nothing was changed');
    }
    expect(world.runs.cancelled).toEqual([]);
    expect(world.runs.enqueued).toEqual([]);
  });

  it('cancels with the token and answers 303 to the run page at once', async () => {
    let release!: () => void;
    world.runs.cancel = async (id, message) => {
      world.runs.cancelled.push({ id, message });
      await new Promise<void>((r) => {
        release = r;
      }); // a teardown that takes its time
      return undefined;
    };
    const res = await world.app.inject({
      method: 'POST',
      url: '/runs/r-a/cancel',
      payload: `token=${encodeURIComponent(TOKEN)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/runs/r-a');
    expect(world.runs.cancelled).toEqual([{ id: 'r-a', message: 'cancelled from the dashboard' }]);
    release();
  });

  it('re-runs with the token: the same request, triggered as a re-run, 303 to the new run', async () => {
    const res = await world.app.inject({
      method: 'POST',
      url: '/runs/r-a/rerun',
      payload: `token=${encodeURIComponent(TOKEN)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/runs/rerun-1');
    expect(world.runs.enqueued).toEqual([
      {
        recipe: 'custom-html',
        repo: 'https://git.example.org/coop-cloud/custom-html.git',
        ref: 'main',
        pr: 4,
        stages: ['install'],
        keep: true,
        trigger: { kind: 'rerun', rerunOf: 'r-a' },
      },
    ]);
    const page = await world.app.inject('/runs/rerun-1');
    expect(page.body).toContain('re-run of <a class="mono" href="/runs/r-a">');
  });

  it('re-runs the commit the run tested, not what its ref names by now (the PR moved on)', async () => {
    const tested = 'a'.repeat(40);
    world.store.insertRun('r-pr', request({ ref: 'refs/pull/4/head', sha: tested, pr: 4 }));
    world.store.finishRun('r-pr', { state: 'failed', verdict: 'fail', level: 0, sha: tested });
    const res = await world.app.inject({
      method: 'POST',
      url: '/runs/r-pr/rerun',
      payload: `token=${encodeURIComponent(TOKEN)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(303);
    expect(world.runs.enqueued).toEqual([expect.objectContaining({ ref: 'refs/pull/4/head', sha: tested, pr: 4 })]);
    // Kept in the store with the queued run, so a restart starts it on the same commit.
    expect(world.store.getRun('rerun-1')).toMatchObject({ state: 'queued', sha: tested });
    const page = await world.app.inject('/runs/rerun-1');
    expect(page.body).toContain(`<dd class="mono">${tested}</dd>`);
  });

  it('404s for an unknown run, before looking at the token', async () => {
    const res = await world.app.inject({
      method: 'POST',
      url: '/runs/nope/cancel',
      payload: `token=${TOKEN}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(404);
    expect(world.runs.cancelled).toEqual([]);
  });
});

describe('artifacts', () => {
  beforeEach(() => {
    world.store.insertRun('r-x', request());
    const art = world.artifacts('r-x');
    writeFileSync(join(art, 'install-screenshot.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(join(art, 'results.json'), '{"ok":true}');
    writeFileSync(join(art, 'junit.xml'), '<testsuites/>');
    writeFileSync(join(art, 'run.log'), pinoLine('hello'));
    writeFileSync(join(art, 'odd.bin'), 'x');
    writeFileSync(join(world.dir, 'outside.txt'), 'the operator secret');
    writeFileSync(join(world.runs.runFiles('r-x').dir, 'stop-reason.json'), '{"code":"CANCELLED"}');
    symlinkSync(join(world.dir, 'outside.txt'), join(art, 'escape.txt'));
    symlinkSync(join(art, 'results.json'), join(art, 'alias.json'));
  });

  it('serves files of the artifacts folder with their content type', async () => {
    const cases: Array<[string, RegExp, string]> = [
      ['install-screenshot.png', /^image\/png/, '\x89PNG'],
      ['results.json', /^application\/json/, '{"ok":true}'],
      ['junit.xml', /^application\/xml/, '<testsuites/>'],
      ['run.log', /^text\/plain/, '"msg":"hello"'],
      ['alias.json', /^application\/json/, '{"ok":true}'], // a symlink that stays inside is fine
      ['odd.bin', /^application\/octet-stream/, 'x'],
    ];
    for (const [name, type, content] of cases) {
      const res = await world.app.inject(`/runs/r-x/artifacts/${name}`);
      expect(res.statusCode, name).toBe(200);
      expect(res.headers['content-type'], name).toMatch(type);
      expect(res.rawPayload.toString('latin1'), name).toContain(content);
    }
  });

  it.each([
    ['..', 400],
    ['%2e%2e', 400],
    ['.hidden', 400],
    ['..%2Fstop-reason.json', 400],
    ['a%2Fb', 400],
    ['%2e%2e%2fstop-reason.json', 400],
    ['x..y', 400],
    ['a%00b', 400],
    ['escape.txt', 404],
    ['missing.png', 404],
    ['stop-reason.json', 404],
  ])('refuses %s', async (name, status) => {
    await world.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await rawGet(world.app, `/runs/r-x/artifacts/${name}`);
    expect(res.statusCode).toBe(status);
    expect(res.body).not.toContain('operator secret');
    expect(res.body).not.toContain('CANCELLED');
  });

  it('refuses paths that leave the folder and unknown runs', async () => {
    await world.app.listen({ host: '127.0.0.1', port: 0 });
    for (const url of [
      '/runs/r-x/artifacts/../stop-reason.json',
      '/runs/r-x/artifacts/%2e%2e/stop-reason.json',
      '/runs/r-x/artifacts/..%2F..%2F..%2Foutside.txt',
      '/runs/nope/artifacts/results.json',
      '/runs/..%2Fr-x/artifacts/results.json',
      '/runs/r-x/artifacts//etc/passwd',
    ]) {
      const res = await rawGet(world.app, url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.body).not.toContain('CANCELLED');
    }
  });
});

describe('log', () => {
  it('formats pino lines as HH:MM:SS LEVEL msg key=value, keeps other lines, masks secrets', () => {
    const secrets = new SecretRegistry();
    secrets.add(SECRET);
    secrets.add('quo"ted\\secret-value');
    // Inside JSON the value is escaped; it is masked all the same.
    expect(
      formatLog(
        pinoLine('q', { v: 'quo"ted\\secret-value' }) + pinoLine('quo"ted\\secret-value'),
        new LogFormatter(),
        'text',
        secrets,
      ),
    ).toBe('13:26:49 INFO  q v=***\n13:26:49 INFO  ***\n');
    const text =
      pinoLine('INFO deploying', { src: 'abra' }) +
      pinoLine('careful', { stack: 'a_b', plan: { base: '1.0' } }, 40) +
      'plain line\r\n' +
      pinoLine(`the password is ${SECRET}`, {}, 50) +
      pinoLine('two\nlines', { ref: 'has space' });
    expect(formatLog(text, new LogFormatter(), 'text', secrets)).toBe(
      [
        '13:26:49 INFO  INFO deploying src=abra',
        '13:26:49 WARN  careful stack=a_b plan={"base":"1.0"}',
        'plain line',
        '13:26:49 ERROR the password is ***',
        '13:26:49 INFO  two\nlines ref="has space"',
        '',
      ].join('\n'),
    );
    expect(formatLog(pinoLine('two\nlines') + 'x\n', new LogFormatter(), 'sse', secrets)).toBe(
      'data: 13:26:49 INFO  two\ndata: lines\n\ndata: x\n\n',
    );
  });

  it('a finished run: the whole log as plain text', async () => {
    world.store.insertRun('r-done', request());
    world.runs.finish('r-done', { state: 'passed', verdict: 'pass', level: 5 });
    writeFileSync(
      join(world.artifacts('r-done'), 'run.log'),
      pinoLine('one') + 'not json\n' + pinoLine(`leak ${SECRET}`) + pinoLine('torn, no newline').trimEnd(),
    );
    const res = await world.app.inject('/runs/r-done/log');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('13:26:49 INFO  one\nnot json\n13:26:49 INFO  leak ***\n13:26:49 INFO  torn, no newline\n');
    expect((await world.app.inject('/runs/nope/log')).statusCode).toBe(404);
  });

  it('a big finished log streams through whole', async () => {
    world.store.insertRun('r-big', request());
    world.runs.finish('r-big', { state: 'failed', verdict: 'fail', level: 1 });
    const line = pinoLine('x'.repeat(200), { src: 'abra' });
    writeFileSync(join(world.artifacts('r-big'), 'run.log'), line.repeat(30_000)); // ~7 MB, several chunks
    const res = await world.app.inject('/runs/r-big/log');
    const lines = res.body.split('\n');
    expect(lines.length).toBe(30_001);
    expect(lines[29_999]).toBe(`13:26:49 INFO  ${'x'.repeat(200)} src=abra`);
  });

  describe('live (SSE)', () => {
    let base: string;
    beforeEach(async () => {
      await world.app.listen({ host: '127.0.0.1', port: 0 });
      const addr = world.app.server.address();
      base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    });

    it('sends the existing lines, then lines appended to run.log, then ends on the final change', async () => {
      world.store.insertRun('r-sse', request());
      world.store.markRunning('r-sse', 1);
      const log = join(world.artifacts('r-sse'), 'run.log');
      writeFileSync(log, pinoLine('one', { src: 'abra' }) + pinoLine('two'));
      const sse = openSse(`${base}/runs/r-sse/log`);
      const res = await sse.response;
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(await sse.until((s) => s.data.length >= 2)).toMatchObject({
        data: ['13:26:49 INFO  one src=abra', '13:26:49 INFO  two'],
      });
      expect(world.runs.emitter.listenerCount('change')).toBe(pageListeners + 1);
      appendFileSync(log, pinoLine('three') + pinoLine(`secret ${SECRET}`) + '{"torn');
      expect((await sse.until((s) => s.data.length >= 4)).data.slice(2)).toEqual([
        '13:26:49 INFO  three',
        '13:26:49 INFO  secret ***',
      ]);
      appendFileSync(log, ' line"}\n' + pinoLine('café ✓ naïve', { who: 'zoë' }));
      expect((await sse.until((s) => s.data.length >= 6)).data.slice(4)).toEqual([
        '{"torn line"}',
        '13:26:49 INFO  café ✓ naïve who=zoë',
      ]);
      appendFileSync(log, 'the last, torn');
      world.runs.finish('r-sse', { state: 'failed', verdict: 'fail', level: 1 });
      const done = await sse.until((s) => s.ended);
      expect(done.data.slice(6)).toEqual(['the last, torn']);
      expect(done.events).toContainEqual({ event: 'end', data: 'failed' });
      expect(world.runs.emitter.listenerCount('change')).toBe(pageListeners);
    });

    it('waits for a log that does not exist yet, and resumes at an offset', async () => {
      world.store.insertRun('r-new', request());
      const sse = openSse(`${base}/runs/r-new/log`);
      expect((await sse.response).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      const log = join(world.artifacts('r-new'), 'run.log');
      writeFileSync(log, pinoLine('born'));
      const got = await sse.until((s) => s.data.length >= 1);
      expect(got.data).toEqual(['13:26:49 INFO  born']);
      expect(got.ids.at(-1)).toBe(String(pinoLine('born').length));
      sse.close();
      // A reconnecting EventSource (Last-Event-ID) or the page (?offset=) gets only what is new.
      appendFileSync(log, pinoLine('after'));
      const again = openSse(`${base}/runs/r-new/log?offset=${pinoLine('born').length}`);
      expect((await again.until((s) => s.data.length >= 1)).data).toEqual(['13:26:49 INFO  after']);
      again.close();
      const resumed = openSse(`${base}/runs/r-new/log`, { 'last-event-id': String(pinoLine('born').length) });
      expect((await resumed.until((s) => s.data.length >= 1)).data).toEqual(['13:26:49 INFO  after']);
      resumed.close();
    });

    it('stops listening when the client goes away', async () => {
      world.store.insertRun('r-gone', request());
      world.store.markRunning('r-gone', 1);
      writeFileSync(join(world.artifacts('r-gone'), 'run.log'), pinoLine('hi'));
      const sse = openSse(`${base}/runs/r-gone/log`);
      await sse.until((s) => s.data.length >= 1);
      expect(world.runs.emitter.listenerCount('change')).toBe(pageListeners + 1);
      sse.close();
      await waitFor(() => world.runs.emitter.listenerCount('change') === pageListeners);
    });

    it('HEAD of a live log answers at once', async () => {
      world.store.insertRun('r-head', request());
      const res = await world.app.inject({ method: 'HEAD', url: '/runs/r-head/log' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(world.runs.emitter.listenerCount('change')).toBe(pageListeners);
    });

    it('an EventSource that comes back after the run ended gets the rest and the end', async () => {
      world.store.insertRun('r-late', request());
      world.runs.finish('r-late', {
        state: 'cancelled',
        verdict: 'error',
        error: { code: 'CANCELLED', message: 'cancelled' },
      });
      writeFileSync(join(world.artifacts('r-late'), 'run.log'), pinoLine('last words'));
      const sse = openSse(`${base}/runs/r-late/log`);
      const done = await sse.until((s) => s.ended);
      expect(done.data).toEqual(['13:26:49 INFO  last words']);
      expect(done.events).toContainEqual({ event: 'end', data: 'cancelled' });
    });
  });
});

// ---------------------------------------------------------------------------------------------

interface SseState {
  data: string[];
  events: Array<{ event: string; data: string }>;
  ids: string[];
  ended: boolean;
}

/** A minimal SSE client: parses events as they come. */
function openSse(url: string, headers: Record<string, string> = {}) {
  const state: SseState = { data: [], events: [], ids: [], ended: false };
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  let buffer = '';
  const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      resolve(res);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('id: ')) state.ids.push(line.slice(4));
          }
          if (data.length === 0) continue;
          if (event === 'message') state.data.push(data.join('\n'));
          else state.events.push({ event, data: data.join('\n') });
        }
        notify();
      });
      res.on('end', () => {
        state.ended = true;
        notify();
      });
      res.on('error', () => {
        state.ended = true;
        notify();
      });
    });
    req.on('error', reject);
  });
  req.end();
  return {
    response,
    until(pred: (s: SseState) => boolean, timeoutMs = 5000): Promise<SseState> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pred(state)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(state);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; got ${JSON.stringify(state)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      req.destroy();
    },
  };
}

/** GET with the path sent exactly as given (inject and fetch would resolve dot segments). */
function rawGet(
  app: FastifyInstance,
  path: string,
): Promise<{ statusCode: number; headers: IncomingMessage['headers']; body: string }> {
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
