// The dashboard in real Chromium (Debian's /usr/bin/chromium through playwright-core): the
// overview shows every recipe and its verdict, a failed run's page shows the failing check's
// message without a click, and a running run's page appends lines written to run.log while it is
// open (EventSource) and reloads into the finished page when the run ends. Only these routes are
// served (plus a stand-in badge), from an in-memory store. Screenshots: /tmp/cc-ci-dashboard-*.png.
import { runFolder } from '../../../src/model/run-folder.js';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { EventEmitter } from 'node:events';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import type { StageResult } from '../../../src/model/stage.js';
import type { RunControl } from '../../../src/queue/run-control.js';
import type { RunRecord, TriggeredRequest } from '../../../src/model/run.js';
import type { RunChange } from '../../../src/queue/run-control.js';
import { RunStore, type RunEnd } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { registerArtifacts } from '../../../src/server/artifacts.js';
import { registerLogStream } from '../../../src/server/log-stream.js';
import { registerPages } from '../../../src/server/pages/routes.js';
import type { ServerDeps } from '../../../src/server/server-deps.js';

const FAILING_MESSAGE = 'GET / -> 502 Bad Gateway: the ingress got no answer from keyc-4f21aa_ci_test_app within 30 s';

const root = mkdtempSync(join(tmpdir(), 'cc-ci-dash-'));
const store = new RunStore(':memory:');
const emitter = new EventEmitter();
let storeDir = '';
const runs: RunControl = {
  enqueue: (req: TriggeredRequest): RunRecord => store.insertRun(`rerun-${Date.now()}`, req),
  cancel: async (id) => store.getRun(id),
  queuePosition: (id) => {
    const i = store.inState('queued').findIndex((r) => r.id === id);
    return i >= 0 ? i + 1 : undefined;
  },
  onChange: (listener) => {
    emitter.on('change', listener);
    return () => emitter.off('change', listener);
  },
  runFiles: (id) => runFolder(storeDir, id),
};
const artifactsOf = (id: string) => {
  const d = join(runs.runFiles(id).dir, 'artifacts');
  mkdirSync(d, { recursive: true });
  return d;
};
function finish(id: string, end: RunEnd, when = new Date()): void {
  store.finishRun(id, end, when);
  emitter.emit('change', { run: store.getRun(id)! } satisfies RunChange);
}

let app: FastifyInstance;
let base = '';
let browser: Browser;

const T0 = Date.now() - 3 * 3600_000;
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);

function req(recipe: string, over: Partial<TriggeredRequest> = {}): TriggeredRequest {
  return {
    recipe,
    repo: `https://git.coopcloud.tech/coop-cloud/${recipe}.git`,
    ref: 'main',
    stages: [],
    keep: false,
    trigger: { kind: 'api' },
    ...over,
  };
}

function logLine(msg: string, extra: Record<string, unknown> = {}, level = 30, time = Date.now()): string {
  return JSON.stringify({ level, time, ...extra, msg }) + '\n';
}

const installChecks = (domain: string): StageResult['checks'] => [
  { name: 'abra app new', status: 'pass', detail: domain, durationMs: 1165 },
  { name: 'swarm names within limits', status: 'pass', detail: '1 services, 0 secrets', durationMs: 10 },
  { name: 'abra app secret generate', status: 'pass', detail: '2 secrets generated and masked', durationMs: 1000 },
  { name: 'abra app deploy --chaos (head)', status: 'pass', durationMs: 2143 },
  { name: 'converged', status: 'pass', detail: '1 services at desired replicas', durationMs: 4555 },
  {
    name: 'deployed the head commit',
    status: 'pass',
    detail: 'chaos-version b22d2e6e, version label 1.1.0+1.27.2',
    durationMs: 0,
  },
  { name: 'health GET /', status: 'pass', detail: 'GET / -> 200, title "custom-html 1.1.0+1.27.2"', durationMs: 34 },
  {
    name: 'browser /',
    status: 'pass',
    detail: '200, title "custom-html 1.1.0+1.27.2"',
    durationMs: 1923,
    artifact: 'install-screenshot.png',
  },
];

beforeAll(async () => {
  const dir = mkdtempSync(join(root, 'cfg-'));
  writeFileSync(
    join(dir, 'cc-ci.yml'),
    [
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      'store: ./store',
      'forge: {type: gitea, url: "https://git.coopcloud.tech", org: coop-cloud}',
    ].join('\n'),
  );
  const secrets = new SecretRegistry();
  const config = loadConfig({
    path: join(dir, 'cc-ci.yml'),
    env: { CCCI_ADMIN_TOKEN: 'browser-test-token-0123456789' },
    secrets,
  });
  storeDir = config.store;
  const deps: ServerDeps = {
    config,
    store,
    runs,
    secrets,
    log: pino({ level: 'silent' }),
    metrics: {} as ServerDeps['metrics'],
    recipes: () => ['custom-html', 'keycloak', 'lasuite-docs', 'matrix-synapse', 'nextcloud', 'gitea'],
  };
  app = Fastify({ logger: false });
  await app.register(formbody);
  registerArtifacts(app, deps);
  registerLogStream(app, deps);
  registerPages(app, deps);
  // A stand-in for the badge route (another part of the server), so the pages look as they will.
  app.get<{ Params: { file: string } }>('/badge/:file', async (request, reply) => {
    const recipe = request.params.file.replace(/\.svg$/, '');
    const latest = store.recipe(recipe).latest;
    const [text, colour] = !latest
      ? ['unknown', '#9f9f9f']
      : latest.state === 'passed'
        ? [`L${latest.level ?? 0} passing`, '#2da44e']
        : latest.state === 'failed'
          ? [`L${latest.level ?? 0} failing`, '#cf222e']
          : [latest.state, '#0969da'];
    const w = 30 + text.length * 7;
    return reply
      .type('image/svg+xml')
      .send(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${w + 44}" height="20">` +
          `<rect width="44" height="20" fill="#555"/><rect x="44" width="${w}" height="20" fill="${colour}"/>` +
          '<g fill="#fff" font-family="Verdana,sans-serif" font-size="11">' +
          `<text x="7" y="14">cc-ci</text><text x="52" y="14">${text}</text></g></svg>`,
      );
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });

  // A screenshot of a "deployed app", for the passed run.
  const shotPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await shotPage.setContent(
    '<body style="font:20px sans-serif;margin:40px"><h1>custom-html 1.1.0+1.27.2</h1>' +
      '<p>Site content lives in /usr/share/nginx/html.</p><p>marker=initial-marker</p></body>',
  );
  const png = await shotPage.screenshot();
  await shotPage.close();

  // custom-html: an older failure, then a pass with every stage.
  store.insertRun('20261130T101500Z-a1b2', req('custom-html', { ref: 'pr-6', pr: 6 }), at(0));
  store.markRunning('20261130T101500Z-a1b2', 1, at(0.1));
  finish(
    '20261130T101500Z-a1b2',
    { state: 'failed', verdict: 'fail', level: 1, sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' },
    at(9),
  );
  const passed = '20261130T132649Z-c0de';
  store.insertRun(
    passed,
    req('custom-html', {
      trigger: { kind: 'forge', by: 'decentral1se', forgeRepo: 'coop-cloud/custom-html', commentId: 1 },
    }),
    ago(14),
  );
  store.markRunning(passed, 1, ago(13.9));
  store.recordStage(passed, {
    name: 'install',
    status: 'pass',
    durationMs: 13_985,
    checks: installChecks('cust-c7aab7.ci.test'),
  });
  store.recordStage(passed, {
    name: 'upgrade',
    status: 'pass',
    durationMs: 28_039,
    checks: [
      { name: 'abra app deploy 1.0.0+1.27.2', status: 'pass', durationMs: 2694 },
      { name: 'seed marker on 1.0.0+1.27.2', status: 'pass', detail: 'marker written', durationMs: 310 },
      { name: 'abra app deploy --chaos (head)', status: 'pass', durationMs: 2500 },
      { name: 'version label moved', status: 'pass', detail: '1.0.0+1.27.2 → 1.1.0+1.27.2', durationMs: 3 },
      { name: 'marker survived', status: 'pass', detail: 'initial-marker', durationMs: 220 },
    ],
  });
  store.recordStage(passed, {
    name: 'backup',
    status: 'pass',
    durationMs: 9_120,
    checks: [
      { name: 'abra app backup create', status: 'pass', durationMs: 3100 },
      { name: 'restore brings the seed back', status: 'pass', durationMs: 4100 },
    ],
  });
  store.recordStage(passed, {
    name: 'recipe-local',
    status: 'na',
    reason: 'the recipe has no tests/ and the spec no custom checks',
    checks: [],
  });
  store.recordStage(passed, {
    name: 'lint',
    status: 'pass',
    durationMs: 1_800,
    advisory: true,
    checks: [{ name: 'R001 compose config has expected version', status: 'pass' }],
  });
  finish(
    passed,
    { state: 'passed', verdict: 'pass', level: 5, sha: 'b22d2e6e7772a8b03224fdb54671781b93c55326' },
    ago(13.2),
  );
  const passedArt = artifactsOf(passed);
  writeFileSync(join(passedArt, 'install-screenshot.png'), png);
  writeFileSync(join(passedArt, 'results.json'), '{}');
  writeFileSync(join(passedArt, 'junit.xml'), '<testsuites/>');
  writeFileSync(join(passedArt, 'logs-install-app.txt'), 'nginx started\n');
  writeFileSync(
    join(passedArt, 'run.log'),
    [
      logLine(`run ${passed}: custom-html at main`, { runId: passed, recipe: 'custom-html', ref: 'main' }),
      logLine('cloning custom-html', { ref: 'main' }),
      logLine('INFO cust-c7aab7.ci.test created on default', { src: 'abra' }),
      logLine('service cust-c7aab7_ci_test_app 1/1 running', { stack: 'cust-c7aab7_ci_test' }),
      logLine('teardown of cust-c7aab7.ci.test left nothing', {}, 30),
      logLine('verdict pass, level L5', { verdict: 'pass' }),
    ].join(''),
  );

  // keycloak: failed at install with a failing check row.
  const failed = '20261130T133304Z-f00d';
  store.insertRun(
    failed,
    req('keycloak', {
      ref: 'pr-12',
      pr: 12,
      trigger: { kind: 'forge', by: 'p4u1', forgeRepo: 'coop-cloud/keycloak', commentId: 9 },
    }),
    ago(42),
  );
  store.markRunning(failed, 1, ago(41.9));
  store.recordStage(failed, {
    name: 'install',
    status: 'fail',
    code: 'CHECK_FAILED',
    reason: 'health GET / failed',
    durationMs: 61_200,
    checks: [
      ...installChecks('keyc-4f21aa.ci.test').slice(0, 6),
      { name: 'health GET /', status: 'fail', code: 'CHECK_FAILED', detail: FAILING_MESSAGE, durationMs: 30_004 },
      { name: 'browser /', status: 'skip', detail: 'not run: health failed' },
    ],
  });
  store.recordStage(failed, {
    name: 'upgrade',
    status: 'pass',
    durationMs: 70_500,
    checks: [{ name: 'version label moved', status: 'pass', detail: '25.0.1 → 26.0.0' }],
  });
  store.recordStage(failed, {
    name: 'backup',
    status: 'skip',
    reason: 'not run: it needs a passing install',
    checks: [],
  });
  store.recordStage(failed, {
    name: 'recipe-local',
    status: 'skip',
    reason: 'not run: it needs a passing install',
    checks: [],
  });
  store.recordStage(failed, {
    name: 'lint',
    status: 'fail',
    code: 'LINT_FAILED',
    reason: 'R014: long secret names',
    advisory: true,
    durationMs: 2_100,
    checks: [
      {
        name: 'R014 long secret names',
        status: 'fail',
        code: 'LINT_FAILED',
        detail: 'secret oauth_client_secret_v1 is longer than 12 characters',
      },
    ],
  });
  finish(
    failed,
    { state: 'failed', verdict: 'fail', level: 0, sha: '4f21aa07c3d1e5b6a7980c1d2e3f405162738495' },
    ago(39.5),
  );
  writeFileSync(
    join(artifactsOf(failed), 'run.log'),
    [
      logLine('health GET / attempt 1: 502', { stack: 'keyc-4f21aa_ci_test' }, 40),
      logLine(`health GET / failed: ${FAILING_MESSAGE}`, {}, 50),
    ].join(''),
  );

  // gitea: errored (Docker broke).
  store.insertRun('20261130T120000Z-e1e1', req('gitea'), ago(95));
  store.markRunning('20261130T120000Z-e1e1', 1, ago(94.5));
  finish(
    '20261130T120000Z-e1e1',
    {
      state: 'errored',
      verdict: 'error',
      level: 0,
      error: {
        code: 'DOCKER_FAILED',
        message: 'the Docker Engine API is unreachable: connect ENOENT /var/run/docker.sock',
      },
    },
    ago(94),
  );

  // nextcloud: cancelled.
  store.insertRun('20261130T121000Z-cc11', req('nextcloud', { ref: 'pr-3', pr: 3 }), ago(200));
  finish(
    '20261130T121000Z-cc11',
    {
      state: 'cancelled',
      verdict: 'error',
      level: 0,
      error: { code: 'CANCELLED', message: 'cancelled from the dashboard' },
    },
    ago(199),
  );
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  store.close();
  rmSync(root, { recursive: true, force: true });
});

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: `/tmp/cc-ci-dashboard-${name}.png`, fullPage });
}

describe('the dashboard in Chromium', () => {
  it('the overview shows every recipe with its verdict; the failed run page shows the failing check', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Something running and queued, for the Now section.
    store.insertRun('20261130T134500Z-5eed', req('lasuite-docs', { ref: 'pr-21', pr: 21 }), ago(3));
    store.markRunning('20261130T134500Z-5eed', 4242, ago(2.5));
    store.setCurrentStage('20261130T134500Z-5eed', 'upgrade');
    store.insertRun('20261130T134600Z-9a9a', req('matrix-synapse', { ref: 'pr-44', pr: 44 }), ago(1));

    await page.goto(`${base}/`);
    for (const name of ['custom-html', 'keycloak', 'lasuite-docs', 'matrix-synapse', 'nextcloud', 'gitea']) {
      await expect.poll(() => page.locator('table a.recipe-name', { hasText: name }).count()).toBeGreaterThan(0);
    }
    const row = (name: string) =>
      page.locator('h2:has-text("Recipes") + .scroll tr', { has: page.locator(`a.recipe-name:text-is("${name}")`) });
    expect(await row('custom-html').locator('.pill').innerText()).toMatch(/passed/i);
    expect(await row('keycloak').locator('.pill').innerText()).toMatch(/failed/i);
    expect(await row('gitea').locator('.pill').innerText()).toMatch(/errored/i);
    expect(await row('nextcloud').locator('.pill').innerText()).toMatch(/cancelled/i);
    expect(await row('lasuite-docs').locator('.pill').innerText()).toMatch(/running/i);
    expect(await page.locator('h2:has-text("Now") + .scroll').innerText()).toMatch(/#1 in the queue/);
    await shot(page, 'overview');

    await page
      .locator('h2:has-text("Recipes") + .scroll tr', { has: page.locator('a.recipe-name:text-is("keycloak")') })
      .locator('a.mono')
      .click();
    await page.waitForURL(/\/runs\/20261130T133304Z-f00d$/);
    await expect.poll(() => page.getByText(FAILING_MESSAGE).first().isVisible()).toBe(true);
    // In the check table too, not only in the summary at the top.
    expect(
      await page.locator('details.stage.fail tr.row-fail td.detail', { hasText: FAILING_MESSAGE }).isVisible(),
    ).toBe(true);
    await shot(page, 'run-failed');

    await page.goto(`${base}/runs/20261130T132649Z-c0de`);
    expect(await page.locator('.banner .pill.big').innerText()).toMatch(/passed/i);
    expect(
      await page.locator('.shots img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(100);
    await shot(page, 'run-passed');

    await page.goto(`${base}/recipes/custom-html`);
    expect(await page.locator('h2:has-text("Runs") + .scroll tbody tr').count()).toBe(2);
    await shot(page, 'recipe');

    await page.goto(`${base}/runs/20261130T120000Z-e1e1`);
    expect(await page.locator('.problem').first().innerText()).toContain('DOCKER_FAILED');
    await shot(page, 'run-errored', false);

    await page.goto(`${base}/runs/20261130T134600Z-9a9a`);
    expect(await page.locator('.banner').innerText()).toMatch(/#1 in the queue/);
    await shot(page, 'run-queued', false);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/`);
    await shot(page, 'overview-mobile', false);
    await page.goto(`${base}/runs/20261130T133304Z-f00d`);
    await shot(page, 'run-failed-mobile', false);
    await page.close();
  });

  const whileOpen =
    'a running run: lines written to run.log appear while the page is open; the page reloads when it ends';
  it(whileOpen, async () => {
    const id = '20261130T135000Z-11fe';
    store.insertRun(id, req('custom-html', { ref: 'pr-9', pr: 9 }), ago(1));
    store.markRunning(id, 777, ago(0.9));
    store.recordStage(id, {
      name: 'install',
      status: 'pass',
      durationMs: 12_000,
      checks: installChecks('cust-9f9f9f.ci.test'),
    });
    store.setCurrentStage(id, 'upgrade');
    const log = join(artifactsOf(id), 'run.log');
    writeFileSync(
      log,
      logLine(`run ${id}: custom-html at pr-9`) + logLine('INFO deploying custom-html 1.0.0+1.27.2', { src: 'abra' }),
    );

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/runs/${id}`);
    expect(await page.locator('#log').innerText()).toContain('INFO deploying custom-html 1.0.0+1.27.2 src=abra');
    await expect.poll(() => page.locator('#live').innerText()).toBe('live');

    appendFileSync(
      log,
      logLine('service cust-9f9f9f_ci_test_app 0/1 running (tasks: starting)', { stack: 'cust-9f9f9f_ci_test' }),
    );
    appendFileSync(log, logLine('the marker is there', {}, 40));
    await expect
      .poll(() => page.locator('#log').innerText(), { timeout: 5000 })
      .toContain('service cust-9f9f9f_ci_test_app 0/1 running (tasks: starting) stack=cust-9f9f9f_ci_test');
    await expect.poll(() => page.locator('#log .warn').count(), { timeout: 5000 }).toBe(1);
    // The page's own lines are not repeated by the stream.
    expect((await page.locator('#log').innerText()).match(/INFO deploying custom-html/g)).toHaveLength(1);
    await shot(page, 'run-live');

    appendFileSync(log, logLine('verdict pass, level L2'));
    store.recordStage(id, {
      name: 'upgrade',
      status: 'pass',
      durationMs: 30_000,
      checks: [{ name: 'version label moved', status: 'pass', detail: '1.0.0+1.27.2 → 1.1.0+1.27.2' }],
    });
    const reloaded = page.waitForEvent('load', { timeout: 10_000 });
    finish(id, { state: 'passed', verdict: 'pass', level: 2, sha: '9f9f9f9f00001111222233334444555566667777' });
    await reloaded;
    expect(await page.locator('.banner .pill.big').innerText()).toMatch(/passed/i);
    expect(await page.locator('#log').innerText()).toContain('verdict pass, level L2');
    expect(await page.locator('#live').count()).toBe(0);
    await page.close();
  });

  it('works without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/runs/20261130T133304Z-f00d`);
    expect(await page.getByText(FAILING_MESSAGE).first().isVisible()).toBe(true);
    await page.locator('form[action$="/rerun"] input[name=token]').fill('wrong');
    await page.locator('form[action$="/rerun"] button').click();
    expect(await page.locator('h1').innerText()).toBe('Not allowed');
    await shot(page, 'unauthorised', false);
    await context.close();
  });
});
