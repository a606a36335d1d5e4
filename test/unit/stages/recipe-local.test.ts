// The recipe-local stage against a live install app made of fakes: the recipe's own tests run
// as real `node --test` (and `tests/run`) processes from a temp checkout, reaching the app at
// CCCI_BASE_URL through the fake ingress on 127.0.0.1 (the preloaded resolver maps the app's
// domain to it); custom checks of the spec folder run in-process against the same app and the
// fake swarm. A recipe with nothing to run is skip.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CcciError } from '../../../src/model/errors.js';
import { blame } from '../../../src/model/blame.js';
import { runRecipeLocal } from '../../../src/stages/recipe-local/recipe-local.js';
import { runRecipeTests } from '../../../src/stages/recipe-local/recipe-tests.js';
import { page, startIngress, type FakeIngress } from '../../support/fake-ingress.js';
import { composeFile, HEAD_VERSION, stageRig, type StageRig } from '../../support/stage-context.js';

// The stage runs from src/, where the resolver hook it preloads exists only as TypeScript.
vi.mock('node:fs', async (real) =>
  (await import('../../support/recipe-test-hook.js')).withHookFromSource(await real()),
);
vi.mock('playwright-core', () => import('../../support/fake-playwright.js'));

let ingress: FakeIngress;
beforeAll(async () => {
  ingress = await startIngress();
});
afterAll(() => ingress.close());

/** The install app as install leaves it (deployed, converged, answering), with these recipe files. */
function liveApp(files: Record<string, string>, customChecks: Record<string, string> = {}): StageRig {
  const rig = stageRig({ ingress: ingress.url, files: { 'compose.yml': composeFile(), ...files } });
  const checks = Object.entries(customChecks).map(([name, text]) => {
    const file = join(rig.root, `${name}.check.mjs`);
    writeFileSync(file, text);
    return file;
  });
  rig.ctx.customChecks = checks;
  const { domain, stack } = rig.app.name;
  rig.swarm.deploy(stack, rig.services({ chaos: true }));
  rig.app.deployed = { role: 'install', domain, stack, version: HEAD_VERSION };
  ingress.route(domain, page('Custom HTML', 'Welcome'));
  return rig;
}

const hostsSeen = (rig: StageRig) => ingress.requests.filter((r) => r.host === rig.app.name.domain).map((r) => r.path);

// A recipe's test as a maintainer writes it: fetch the app at CCCI_BASE_URL.
const passingTests = `
import test from 'node:test';
import assert from 'node:assert/strict';
test('the home page welcomes', async () => {
  const res = await fetch(process.env.CCCI_BASE_URL + '/');
  assert.equal(res.status, 200);
  assert.match(await res.text(), /Welcome/);
});
test('gets the CCCI contract', () => {
  assert.equal(process.env.CCCI_RECIPE, 'custom-html');
  assert.equal(process.env.CCCI_STAGE, 'recipe-local');
  assert.equal(process.env.CCCI_VERSION, '${HEAD_VERSION}');
  assert.equal(process.env.CCCI_APP_DOMAIN, new URL(process.env.CCCI_BASE_URL).hostname);
});
`;

describe('recipe-local stage: pass', () => {
  it("runs the recipe's node tests against the app through the ingress; each test a row, JUnit kept", async () => {
    const rig = liveApp({ 'tests/app.test.mjs': passingTests });
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toMatchObject({ name: 'recipe-local', status: 'pass' });
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['the home page welcomes', 'pass'],
      ['gets the CCCI contract', 'pass'],
      ['node --test tests/', 'pass'],
    ]);
    expect(result.checks.at(-1)?.detail).toBe('exit 0, 2 test rows');
    // The test's request reached the fake ingress with the app's Host.
    expect(hostsSeen(rig)).toEqual(['/']);
    const junit = readFileSync(join(rig.ctx.artifactsDir, 'recipe-tests-node.xml'), 'utf8');
    expect(junit).toContain('the home page welcomes');
  });

  it('runs the custom checks of the spec folder: fetch through the ingress, exec in a service', async () => {
    const rig = liveApp(
      {},
      {
        site: `
        export async function homepage(ctx) {
          const res = await ctx.fetch('/');
          if (!(await res.text()).includes('Welcome')) throw new Error('no welcome');
          return 'welcome shown';
        }
        export async function data(ctx) {
          const r = await ctx.exec('app', ['seed', 'hello']);
          if (r.exitCode !== 0) throw new Error('seed failed');
        }
      `,
      },
    );
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'pass' });
    expect(result.checks.map((c) => [c.name, c.status, c.detail])).toEqual([
      ['site.homepage', 'pass', 'welcome shown'],
      ['site.data', 'pass', undefined],
    ]);
    expect(rig.swarm.calls.find((c) => c.method === 'execInService')?.args).toEqual([
      rig.app.name.stack,
      'app',
      ['seed', 'hello'],
    ]);
  });
});

describe('recipe-local stage: skip', () => {
  it('is skip when the recipe has no tests and its spec folder no custom checks; nothing runs', async () => {
    // A tests/ folder with neither *.test.* files nor an executable tests/run counts as none.
    const rig = liveApp({ 'tests/README.md': 'todo', 'tests/run': 'echo not executable' });
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toEqual({
      name: 'recipe-local',
      status: 'skip',
      checks: [],
      reason:
        'nothing to run: the recipe has no tests/ (no *.test.{js,mjs,ts}, no test_*.py, no executable tests/run) ' +
        'and its spec folder no *.check.ts',
    });
    expect(hostsSeen(rig)).toEqual([]);
  });
});

describe("recipe-local stage: fail (the recipe's fault)", () => {
  it("a failing recipe test is TESTS_FAILED, with the test's row; secrets are masked in the JUnit", async () => {
    const rig = liveApp({
      'tests/app.test.mjs': `
        import test from 'node:test';
        import assert from 'node:assert/strict';
        test('passes', () => {});
        test('shows the version', () => assert.fail('expected 1.1.0 with password hunter2-generated-secret'));
      `,
    });
    rig.secrets.add('hunter2-generated-secret');
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'TESTS_FAILED' });
    expect(result.reason).toMatch(/^shows the version: /);
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['passes', 'pass'],
      ['shows the version', 'fail'],
      ['node --test tests/', 'fail'],
    ]);
    expect(result.checks.at(-1)).toMatchObject({ code: 'TESTS_FAILED', detail: 'exit 1, 2 test rows' });
    const junit = readFileSync(join(rig.ctx.artifactsDir, 'recipe-tests-node.xml'), 'utf8');
    expect(junit).toContain('***');
    expect(junit).not.toContain('hunter2-generated-secret');
  });

  it('an executable tests/run that exits non-zero fails, its TAP lines read as rows', async () => {
    const rig = liveApp({ 'tests/run': '#!/bin/sh\necho "ok 1 - login page"\necho "not ok 2 - admin page"\nexit 3\n' });
    const { chmodSync } = await vi.importActual<typeof import('node:fs')>('node:fs');
    chmodSync(join(rig.app.recipeDir, 'tests', 'run'), 0o755);
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'TESTS_FAILED' });
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['tests/run: login page', 'pass'],
      ['tests/run: admin page', 'fail'],
      ['tests/run', 'fail'],
    ]);
    expect(result.checks.at(-1)?.detail).toBe('exit 3, 2 test rows');
  });

  it('a custom check that throws fails the stage: CHECK_FAILED', async () => {
    const rig = liveApp(
      {},
      {
        site:
          'export async function admin(ctx) { const r = await ctx.fetch("/admin"); ' +
          'if (r.status !== 200) throw new Error(`admin answered ${r.status}`); }',
      },
    );
    ingress.route(rig.app.name.domain, (path) => (path === '/admin' ? { status: 403 } : undefined));
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'CHECK_FAILED', reason: 'site.admin: admin answered 403' });
  });
});

describe('recipe-local stage: error (infrastructure, or the run was stopped)', () => {
  it("a custom check whose exec Docker cannot run is DOCKER_FAILED, not the recipe's fail", async () => {
    const rig = liveApp({}, { site: 'export async function data(ctx) { await ctx.exec("app", ["read"]); }' });
    rig.swarm.breakWith('execInService', new CcciError('DOCKER_FAILED', 'Docker Engine: creating an exec failed: 500'));
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'DOCKER_FAILED' });
    expect(result.checks).toMatchObject([{ name: 'site.data', status: 'error', code: 'DOCKER_FAILED' }]);
  });

  it("a stop while the recipe's tests run kills them and is error with the stop's code", async () => {
    const rig = liveApp({
      'tests/slow.test.mjs': `
        import test from 'node:test';
        test('waits forever', async () => {
          await fetch(process.env.CCCI_BASE_URL + '/');
          await new Promise((resolve) => setTimeout(resolve, 600_000));
        });
      `,
    });
    // The stop comes once the test is in the middle of its work.
    ingress.route(rig.app.name.domain, () => {
      setTimeout(() => rig.stop('SUPERSEDED', 'superseded by run r2'), 50);
      return { status: 200, body: 'ok' };
    });
    const t0 = Date.now();
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'SUPERSEDED', reason: 'stopped: superseded by run r2' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(existsSync(join(rig.ctx.artifactsDir, 'recipe-tests-node.xml'))).toBe(false);
  });
});

// A recipe's pytest suite as a maintainer writes it: requests (or httpx) at CCCI_BASE_URL, which
// the resolver cc-ci puts on PYTHONPATH maps to the ingress, as Node's hook does for node tests.
const pytestSuite = `
import os

import httpx
import requests


def test_home_page_welcomes():
    res = requests.get(os.environ["CCCI_BASE_URL"] + "/", timeout=10)
    assert res.status_code == 200
    assert "Welcome" in res.text
    assert os.environ["CCCI_RECIPE"] == "custom-html"
    assert os.environ["CCCI_STAGE"] == "recipe-local"


def test_runs_as_nobody():
    assert os.getuid() == 65534


def test_admin_page():
    res = httpx.get(os.environ["CCCI_BASE_URL"] + "/admin", timeout=10)
    assert res.status_code == 200, f"admin answered {res.status_code}"
`;

describe('recipe-local stage: pytest suites', () => {
  it('runs tests/test_*.py with pytest as nobody: each case a row, the stage fails on the failing one', async () => {
    const rig = liveApp({ 'tests/test_site.py': pytestSuite, 'tests/helpers.py': 'raise SystemExit("not a test")' });
    ingress.route(rig.app.name.domain, (path) =>
      path === '/admin' ? { status: 403 } : { status: 200, body: '<p>Welcome</p>' },
    );
    const result = await runRecipeLocal(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'TESTS_FAILED' });
    expect(result.reason).toMatch(/^pytest: test_admin_page: .*admin answered 403/);
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['pytest: test_home_page_welcomes', 'pass'],
      ['pytest: test_runs_as_nobody', 'pass'],
      ['pytest: test_admin_page', 'fail'],
      ['pytest tests/', 'fail'],
    ]);
    expect(result.checks.at(-1)).toMatchObject({ code: 'TESTS_FAILED', detail: 'exit 1, 3 test rows' });
    // Both requests reached the app through the ingress, with its Host.
    expect(hostsSeen(rig)).toEqual(['/', '/admin']);
    expect(readFileSync(join(rig.ctx.artifactsDir, 'recipe-tests-pytest.xml'), 'utf8')).toContain('test_admin_page');
  });

  it('is error with the apt line when no pytest can be found; the custom checks still run', async () => {
    const rig = liveApp(
      { 'tests/test_site.py': pytestSuite },
      { site: 'export async function home(ctx) { await ctx.fetch("/"); }' },
    );
    const path = process.env.PATH;
    process.env.PATH = join(rig.root, 'no-such-bin');
    try {
      const result = await runRecipeLocal(rig.ctx, rig.app);
      expect(result).toMatchObject({ status: 'error', code: 'TESTS_NOT_RUN' });
      expect(result.reason).toContain('apt-get install python3-pytest python3-requests python3-httpx');
      expect(result.checks.map((c) => [c.name, c.status])).toEqual([
        ['recipe tests', 'error'],
        ['site.home', 'pass'],
      ]);
      // Only the custom check's request: pytest never ran.
      expect(hostsSeen(rig)).toEqual(['/']);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('recipe-local stage: the tests never run as root, nor with the run folder writable', () => {
  const executable = async (file: string) => {
    const { chmodSync } = await vi.importActual<typeof import('node:fs')>('node:fs');
    chmodSync(file, 0o755);
  };

  it.runIf(process.getuid?.() === 0)(
    'is error with the fix when nobody cannot run the node (a root nvm install); the tests do not run at all',
    async () => {
      const marker = join(tmpdir(), `cc-ci-ran-as-root-${process.pid}-${Date.now()}`);
      const rig = liveApp({
        'tests/app.test.mjs': `import { writeFileSync } from 'node:fs';\nwriteFileSync('${marker}', 'ran');\n`,
      });
      // Node as `nvm install` as root leaves it: under a home only root can search.
      const nvmHome = join(rig.root, 'root-home');
      const bin = join(nvmHome, '.nvm', 'versions', 'node', 'v20.18.0', 'bin');
      mkdirSync(bin, { recursive: true });
      symlinkSync(process.execPath, join(bin, 'node'));
      chmodSync(nvmHome, 0o700);
      chmodSync(rig.root, 0o755);
      const err = await runRecipeTests({
        recipeDir: rig.app.recipeDir,
        node: join(bin, 'node'),
        runDir: rig.root,
        env: { CCCI_BASE_URL: 'http://127.0.0.1:9' },
        timeoutMs: 60_000,
      }).catch((e: unknown) => e);
      expect(blame(err)).toMatchObject({ status: 'error', code: 'TESTS_NOT_RUN' });
      expect((err as Error).message).toBe(
        `nobody cannot run cc-ci's node (${join(bin, 'node')}): ${nvmHome} is mode 700, not searchable by other ` +
          'users. The tests did not run (never as root): install Node.js where every user can run it ' +
          "(nodejs.org binaries under /usr/local, or NodeSource's nodejs package), not in root's home (nvm)",
      );
      expect(existsSync(marker)).toBe(false);
    },
  );

  it.runIf(process.getuid?.() === 0)(
    'runs them as nobody with the run folder locked, even when it was made world-writable',
    async () => {
      const rig = liveApp({});
      // A run folder as a umask of 000 would leave it: every file and folder writable by anyone.
      const events = join(rig.root, 'events.jsonl');
      writeFileSync(events, '{"type":"run-started"}\n');
      for (const p of [rig.root, rig.ctx.artifactsDir]) chmodSync(p, 0o777);
      chmodSync(events, 0o666);
      const forged = '{"type":"run-finished","exitCode":0}';
      mkdirSync(join(rig.app.recipeDir, 'tests'));
      writeFileSync(
        join(rig.app.recipeDir, 'tests', 'run'),
        [
          '#!/bin/sh',
          `echo '${forged}' >> ${events} 2>/dev/null`,
          `echo '{"verdict":"pass"}' > ${join(rig.ctx.artifactsDir, 'results.json')} 2>/dev/null`,
          `echo "ok 1 - ran as uid $(id -u)"`,
          '',
        ].join('\n'),
      );
      await executable(join(rig.app.recipeDir, 'tests', 'run'));
      const result = await runRecipeLocal(rig.ctx, rig.app);
      expect(result.checks.map((c) => [c.name, c.status])).toEqual([
        ['tests/run: ran as uid 65534', 'pass'],
        ['tests/run', 'pass'],
      ]);
      expect(readFileSync(events, 'utf8')).toBe('{"type":"run-started"}\n');
      expect(existsSync(join(rig.ctx.artifactsDir, 'results.json'))).toBe(false);
      // Others lost their write bit (the group is root's, which nobody is not in).
      for (const p of [rig.root, rig.ctx.artifactsDir, events]) expect(statSync(p).mode & 0o002).toBe(0);
    },
  );
});
