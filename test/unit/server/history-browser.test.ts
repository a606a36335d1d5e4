// The history chart in real Chromium (Debian's /usr/bin/chromium through src/browser/): after a
// few default-branch runs of different levels (and a PR run, which is not in it), the recipe page
// draws the chart without a script, named and described for a screen reader, a dot per pass or
// fail at its level, an error under the axis, and its table; the overview draws a sparkline per
// recipe. Served by the real pages and badge routes from an in-memory store.
// Screenshot: /tmp/cc-ci-dashboard-recipe-history.png; with CCCI_DOC_IMAGES=1 also
// docs/images/recipe-history.png (the one in docs/operating.md).
import Fastify, { type FastifyInstance } from 'fastify';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, type Browser } from '../../../src/browser/chromium.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import type { RunEnd } from '../../../src/queue/store.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { registerBadges } from '../../../src/server/badges.js';
import { registerPages } from '../../../src/server/pages/routes.js';
import type { ServerDeps } from '../../../src/server/server-deps.js';
import { FakeRunControl } from '../../support/fake-run-control.js';

const SHOT = '/tmp/cc-ci-dashboard-recipe-history.png';
const DOC_IMAGE = fileURLToPath(new URL('../../../docs/images/recipe-history.png', import.meta.url));
const DAY = 86_400_000;
const root = mkdtempSync(join(tmpdir(), 'cc-ci-history-browser-'));
const store = new RunStore(':memory:');
let runs: FakeRunControl;
let app: FastifyInstance;
let base = '';
let browser: Browser;

const req = (recipe: string, over: Partial<TriggeredRequest> = {}): TriggeredRequest => ({
  recipe,
  repo: `https://git.coopcloud.tech/coop-cloud/${recipe}.git`,
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind: 'api' },
  ...over,
});

let n = 0;
/** A run that ended `daysAgo` days ago, with an id like the real ones. */
function ran(recipe: string, daysAgo: number, end: RunEnd, over: Partial<TriggeredRequest> = {}): string {
  const finished = new Date(Date.now() - daysAgo * DAY);
  const id = `${finished.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${(++n).toString(16).padStart(4, '0')}`;
  store.insertRun(id, req(recipe, over), new Date(finished.getTime() - 9 * 60_000));
  store.markRunning(id, 1, new Date(finished.getTime() - 8 * 60_000));
  runs.finish(id, { sha: `${n.toString(16).padStart(8, '0')}${'c'.repeat(32)}`, ...end }, finished);
  return id;
}
// The page's globals, for code run in Chromium (the tests' types have no DOM).
type PageGlobals = { document: { scripts: { length: number } }; getComputedStyle(el: unknown): { fill: string } };

const pass = (level: number): RunEnd => ({ state: 'passed', verdict: 'pass', level });
const fail = (level: number): RunEnd => ({ state: 'failed', verdict: 'fail', level });
const error: RunEnd = {
  state: 'errored',
  verdict: 'error',
  error: { code: 'DOCKER_FAILED', message: 'the Docker Engine API is unreachable' },
};

beforeAll(async () => {
  writeFileSync(
    join(root, 'cc-ci.yml'),
    'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n' +
      'forge: {type: gitea, url: "https://git.coopcloud.tech", org: coop-cloud}\n',
  );
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: join(root, 'cc-ci.yml'), env: {}, secrets });
  runs = new FakeRunControl(store, config.store, { idPrefix: 'rerun', cancel: 'record' });
  const deps: ServerDeps = {
    config,
    store,
    runs,
    secrets,
    log: pino({ level: 'silent' }),
    metrics: {} as ServerDeps['metrics'],
    recipes: () => ['custom-html', 'keycloak', 'nextcloud'],
  };
  app = Fastify({ logger: false });
  registerBadges(app, deps);
  registerPages(app, deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  browser = await launchChromium({ timeoutMs: 30_000 });

  // custom-html: L5, a drop to L3, back to L4, an error (cc-ci's, not the recipe's), down to L2, back to L5.
  ran('custom-html', 120, pass(1)); // outside the window
  ran('custom-html', 84, pass(5));
  ran('custom-html', 71, pass(5));
  ran('custom-html', 58, fail(3));
  ran('custom-html', 52, pass(4));
  ran('custom-html', 40, error);
  ran('custom-html', 33, pass(5));
  ran('custom-html', 26, fail(1), { ref: 'refs/pull/7/head', pr: 7 }); // a PR: not in it
  ran('custom-html', 21, fail(2));
  ran('custom-html', 12, pass(4));
  ran('custom-html', 5, pass(5));
  ran('custom-html', 0.2, pass(5));
  // keycloak: fewer runs, for the overview's sparklines.
  ran('keycloak', 60, pass(3));
  ran('keycloak', 30, fail(2));
  ran('keycloak', 3, pass(4));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  store.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the history chart in Chromium', () => {
  it('the recipe page draws the level of the last 90 days, with no script, named and described', async () => {
    const page = await openPage(browser, { width: 1280, height: 860 });
    const problems: string[] = [];
    // Console errors (a CSP refusal among them) and failed requests, the browser's own favicon aside.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${base}/recipes/custom-html`);

    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.scripts.length)).toBe(0);
    const chart = page.getByRole('img', { name: 'custom-html: default-branch level over the last 90 days' });
    await expect.poll(() => chart.isVisible()).toBe(true);
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(600);
    expect(box.height).toBeGreaterThan(120);
    expect(await chart.getAttribute('aria-labelledby')).toBe('history-title history-desc');
    expect(await page.locator('#history-desc').textContent()).toBe(
      '10 default-branch runs in the last 90 days: 7 pass, 2 fail, 1 error; the level went from L5 to L5 ' +
        '(lowest L2, highest L5); the latest pass L5 on ' +
        `${new Date(Date.now() - 0.2 * DAY).toISOString().slice(0, 10)}.`,
    );

    // A dot per pass (green) or fail (red), higher for a higher level; the error as one orange mark.
    const dots = await page.locator('svg.history-chart g.runs circle').evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return {
          kind: el.getAttribute('class'),
          fill: (globalThis as unknown as PageGlobals).getComputedStyle(el).fill,
          y: r.top + r.height / 2,
          x: r.left,
        };
      }),
    );
    expect(dots.map((d) => d.kind)).toEqual(['pass', 'pass', 'fail', 'pass', 'pass', 'fail', 'pass', 'pass', 'pass']);
    expect(new Set(dots.filter((d) => d.kind === 'pass').map((d) => d.fill))).toEqual(new Set(['rgb(26, 127, 55)']));
    expect(new Set(dots.filter((d) => d.kind === 'fail').map((d) => d.fill))).toEqual(new Set(['rgb(207, 34, 46)']));
    // Left to right in time; L5 above L4 above L3 above L2.
    expect(dots.map((d) => d.x)).toEqual([...dots.map((d) => d.x)].sort((a, b) => a - b));
    const [l5, , l3, l4, , l2] = dots;
    expect(l5!.y).toBeLessThan(l4!.y);
    expect(l4!.y).toBeLessThan(l3!.y);
    expect(l3!.y).toBeLessThan(l2!.y);
    const errorMark = page.locator('svg.history-chart polygon.error');
    expect(await errorMark.count()).toBe(1);
    expect((await errorMark.boundingBox())!.y).toBeGreaterThan(Math.max(...dots.map((d) => d.y)));
    expect(await errorMark.evaluate((el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).fill)).toBe(
      'rgb(188, 76, 0)',
    );

    // The same data as a table, behind a click, newest first, each run linked.
    const table = page.locator('details.history-data');
    expect(await table.locator('table').isVisible()).toBe(false);
    await table.locator('summary').click();
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(10);
    expect(await rows.first().innerText()).toMatch(/pass[\s\S]*L5/i);
    expect(await rows.nth(5).locator('.pill').innerText()).toMatch(/error/i);
    await table.locator('summary').click();

    await page.screenshot({ path: SHOT });
    if (process.env.CCCI_DOC_IMAGES === '1') copyFileSync(SHOT, DOC_IMAGE);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the overview draws a sparkline per recipe that has badge runs', async () => {
    const page = await openPage(browser, { width: 1280, height: 800 });
    await page.goto(`${base}/`);
    const sparklines = page.locator('svg.sparkline');
    expect(await sparklines.count()).toBe(2);
    const keycloak = page.getByRole('img', { name: /^3 default-branch runs in the last 90 days: 2 pass, 1 fail/ });
    expect(await keycloak.isVisible()).toBe(true);
    expect((await keycloak.boundingBox())!.width).toBe(120);
    // nextcloud never ran: no sparkline in its row.
    const nextcloud = page.locator('tr', { has: page.locator('a.recipe-name:text-is("nextcloud")') });
    expect(await nextcloud.locator('svg').count()).toBe(0);
    await page.close();
  });
});
