// The one owner of fail versus error, and the checks that ask it: a broken or interrupted check is
// never the recipe's fail; a check that saw the wrong thing is.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcciError, FactError, RecipeFailure } from '../../../src/model/errors.js';
import type {
  AbraFailureKind,
  BrowserFact,
  DockerFact,
  Fact,
  HttpFact,
  RegistryAnswer,
} from '../../../src/model/errors.js';
import { blame, finishStage, rowFromFact, stopInfo } from '../../../src/model/blame.js';
import { asRecipeAction } from '../../../src/abra/abra.js';
import { pageFailure } from '../../../src/browser/chromium.js';
import { checkHealth } from '../../../src/stages/checks/health.js';
import { requestViaIngress } from '../../../src/stages/checks/ingress-request.js';
import { runCustomChecks } from '../../../src/stages/recipe-local/custom-checks.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const stopped = (code: 'CANCELLED' | 'SUPERSEDED' | 'TIMED_OUT', message: string) => {
  const c = new AbortController();
  c.abort(new CcciError(code, message));
  return c.signal;
};

describe('blame', () => {
  it("makes a RecipeFailure fail, cc-ci's own errors and bugs error", () => {
    expect(blame(new RecipeFailure('DATA_LOST', 'marker lost'))).toEqual({
      status: 'fail',
      code: 'DATA_LOST',
      message: 'marker lost',
    });
    expect(blame(new CcciError('DOCKER_FAILED', 'socket'))).toEqual({
      status: 'error',
      code: 'DOCKER_FAILED',
      message: 'socket',
    });
    // Drone not answering, or refusing, is never the recipe's.
    for (const code of ['DRONE_UNREACHABLE', 'DRONE_REFUSED'] as const)
      expect(blame(new CcciError(code, 'the Drone server at https://drone.example.org'))).toMatchObject({
        status: 'error',
        code,
      });
    expect(blame(new TypeError('x is undefined'))).toEqual({
      status: 'error',
      code: 'INTERNAL',
      message: 'x is undefined',
    });
  });

  it('makes anything thrown in a stopped run error, with the reason the stop was given', () => {
    const signal = stopped('SUPERSEDED', 'superseded by run 42');
    expect(blame(new RecipeFailure('CHECK_FAILED', 'health did not answer'), signal)).toEqual({
      status: 'error',
      code: 'SUPERSEDED',
      message: 'superseded by run 42',
    });
    expect(stopInfo(stopped('TIMED_OUT', 'runTimeout'))).toEqual({ code: 'TIMED_OUT', message: 'runTimeout' });
    const plain = new AbortController();
    plain.abort();
    expect(stopInfo(plain.signal)?.code).toBe('CANCELLED');
    expect(stopInfo(new AbortController().signal)).toBeUndefined();
  });

  it('finishes a stage: stopped → error; a fail row → fail; an error row → error; else pass', () => {
    const failRow = { name: 'health GET /', status: 'fail' as const, detail: '503', code: 'CHECK_FAILED' };
    const errorRow = {
      name: 'browser /',
      status: 'error' as const,
      detail: 'Chromium went away',
      code: 'BROWSER_FAILED',
    };
    expect(
      finishStage('install', Date.now(), [failRow], undefined, stopped('CANCELLED', 'stopped by SIGTERM')),
    ).toMatchObject({ status: 'error', code: 'CANCELLED', reason: 'stopped: stopped by SIGTERM', checks: [failRow] });
    expect(finishStage('install', Date.now(), [errorRow, failRow], undefined, undefined)).toMatchObject({
      status: 'fail',
      code: 'CHECK_FAILED',
    });
    expect(finishStage('install', Date.now(), [errorRow], undefined, undefined)).toMatchObject({
      status: 'error',
      code: 'BROWSER_FAILED',
    });
    expect(finishStage('install', Date.now(), [], new CcciError('GIT_FAILED', 'clone'), undefined)).toMatchObject({
      status: 'error',
      code: 'GIT_FAILED',
    });
    expect(finishStage('install', Date.now(), [{ name: 'x', status: 'pass' }], undefined, undefined)).toMatchObject({
      status: 'pass',
    });
  });

  it("reads a page load: no answer in time is the app's, a refused connection or a dead browser is not", () => {
    const load = (message: string) => blame(pageFailure(new Error(message), 'http://a'));
    expect(load('page.goto: Timeout 30000ms exceeded.')).toMatchObject({ status: 'fail', code: 'CHECK_FAILED' });
    expect(load('page.goto: net::ERR_CONNECTION_REFUSED at http://a')).toMatchObject({
      status: 'error',
      code: 'INGRESS_FAILED',
    });
    expect(load('page.goto: Target page, context or browser has been closed')).toMatchObject({
      status: 'error',
      code: 'BROWSER_FAILED',
    });
  });
});

describe('checks through the ingress', () => {
  let server: http.Server;
  let ingress: string;
  let closedPort: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(req.url === '/broken' ? 503 : 200, { 'content-type': 'text/html' });
      res.end('<title>hello</title>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ingress = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('classifies request failures where the cause is known', async () => {
    const failed = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (err: unknown) => blame(err),
      );
    expect(await failed(requestViaIngress({ url: closedPort }, 'a.ci.test', '/'))).toMatchObject({
      status: 'error',
      code: 'INGRESS_FAILED',
    });
    expect(await failed(requestViaIngress({ url: ingress }, 'a.ci.test', '/hang', { timeoutMs: 200 }))).toMatchObject({
      status: 'fail',
      code: 'CHECK_FAILED',
    });
    const c = new AbortController();
    setTimeout(() => c.abort(), 50);
    await expect(requestViaIngress({ url: ingress }, 'a.ci.test', '/hang', { signal: c.signal })).rejects.toMatchObject(
      {
        code: 'CANCELLED',
      },
    );
  });

  it('health: a wrong status is fail, an unreachable ingress is error, a stop is error within a moment', async () => {
    expect(await checkHealth({ url: ingress }, 'a.ci.test', { path: '/broken', timeoutMs: 1_500 })).toMatchObject({
      status: 'fail',
      code: 'CHECK_FAILED',
      detail: expect.stringContaining('last: 503'),
    });
    expect(await checkHealth({ url: closedPort }, 'a.ci.test', { path: '/', timeoutMs: 1_500 })).toMatchObject({
      status: 'error',
      code: 'INGRESS_FAILED',
    });
    const c = new AbortController();
    setTimeout(() => c.abort(new CcciError('CANCELLED', 'stopped by SIGTERM')), 300);
    const started = Date.now();
    const row = await checkHealth({ url: ingress }, 'a.ci.test', { path: '/broken', timeoutMs: 300_000 }, c.signal);
    expect(row).toMatchObject({ status: 'error', code: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("custom checks: a throw is fail, cc-ci's own error is error, a stop ends a hanging check at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-ci-checks-'));
    const file = join(dir, 'site.check.mjs');
    writeFileSync(
      file,
      [
        'export async function throws() { throw new Error("expected Welcome"); }',
        // Checks run in export-name order; this one hangs, and the run is stopped while it does.
        'export async function zhangs() { globalThis.stopTheRun(); await new Promise(() => {}); }',
      ].join('\n'),
    );
    const c = new AbortController();
    const exec = async () => {
      throw new CcciError('DOCKER_FAILED', 'Docker Engine: gone');
    };
    (globalThis as { stopTheRun?: () => void }).stopTheRun = () =>
      setTimeout(() => c.abort(new CcciError('CANCELLED', 'stopped by SIGTERM')), 100);
    const started = Date.now();
    const rows = await runCustomChecks([file], {
      recipe: 'x',
      domain: 'a.ci.test',
      ingress: { url: ingress },
      exec,
      signal: c.signal,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(rows.find((r) => r.name === 'site.throws')).toMatchObject({
      status: 'fail',
      code: 'CHECK_FAILED',
      detail: 'expected Welcome',
    });
    expect(rows.find((r) => r.name === 'site.zhangs')).toMatchObject({ status: 'error', code: 'CANCELLED' });

    const file2 = join(dir, 'exec.check.mjs');
    writeFileSync(file2, 'export async function usesExec(ctx) { await ctx.exec("app", ["true"]); }\n');
    const rows2 = await runCustomChecks([file2], {
      recipe: 'x',
      domain: 'a.ci.test',
      ingress: { url: ingress },
      exec,
      signal: new AbortController().signal,
    });
    expect(rows2[0]).toMatchObject({ status: 'error', code: 'DOCKER_FAILED' });

    // A check file that does not load: the checks could not be made; the next file still runs.
    const broken = join(dir, 'a-broken.check.mjs');
    writeFileSync(broken, 'export async function x( {\n');
    const rows3 = await runCustomChecks([broken, file2], {
      recipe: 'x',
      domain: 'a.ci.test',
      ingress: { url: ingress },
      exec,
      signal: new AbortController().signal,
    });
    expect(rows3.map((r) => [r.name, r.status, r.code])).toEqual([
      ['a-broken', 'error', 'CONFIG_INVALID'],
      ['exec.usesExec', 'error', 'DOCKER_FAILED'],
    ]);
  });
});

describe('a failed abra call on the recipe', () => {
  it("is the recipe's ABRA_REFUSED, naming the lint rule abra names", () => {
    const said = 'abra app deploy exited 1: FATA R014: only annotated tags used for recipe version: unable to deploy';
    const refused = blame(asRecipeAction(new CcciError('ABRA_FAILED', said)));
    expect(refused).toMatchObject({ status: 'fail', code: 'ABRA_REFUSED' });
    expect(refused.message).toMatch(/^abra refused the recipe on lint rule R014: /);
    const compose = blame(asRecipeAction(new CcciError('ABRA_FAILED', 'abra app deploy exited 1: FATA bad image')));
    expect(compose).toMatchObject({ code: 'ABRA_REFUSED' });
  });
  it("stays error when abra's own plumbing failed, or for anything that is not ABRA_FAILED", () => {
    for (const msg of [
      'abra app backup create exited 1: FATA the input device is not a TTY',
      'abra app deploy exited 1: FATA Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
      'abra app restore exited 1: FATA no backupbot deployed: ' +
        'no running service labelled coop-cloud.backupbot.enabled=true',
      'abra app deploy exited 1: FATA unknown flag: --no-domain-checks',
      'abra app backup create exited 1: FATA Fatal: unable to create lock in backend: ' +
        'repository is already locked exclusively by PID 41 on backups by root (UID 0, GID 0)',
    ]) {
      const err = new CcciError('ABRA_FAILED', msg);
      expect(blame(asRecipeAction(err))).toEqual({ status: 'error', code: 'ABRA_FAILED', message: msg });
    }
    const timeout = new CcciError('DEADLINE', 'abra app deploy: no answer within 600 s');
    expect(asRecipeAction(timeout)).toBe(timeout);
    expect(blame(asRecipeAction(timeout))).toMatchObject({ status: 'error', code: 'DEADLINE' });
  });
});

// Every fact an adapter or a check reports, and the verdict a user of Co-op Cloud would give it.
describe('the fact table: what happened → fail or error, and the code', () => {
  type Row = [string, unknown, 'fail' | 'error', string];
  const seen = (fact: Fact, cause?: unknown) =>
    new FactError(fact, 'what was seen', cause === undefined ? {} : { cause });
  const abra = (kind: AbraFailureKind, onRecipe = true) =>
    new CcciError('ABRA_FAILED', 'abra said', { fact: { source: 'abra', kind, onRecipe } });
  const docker = (what: Exclude<DockerFact['what'], 'image-not-pulled'>): Fact =>
    what === 'no-container'
      ? { source: 'docker', what, service: 'st_app', ofTheApp: true }
      : what === 'not-converged' || what === 'update-paused' || what === 'tasks-failing'
        ? { source: 'docker', what, services: ['st_app'] }
        : { source: 'docker', what };
  const pull = (registry: RegistryAnswer): Fact => ({
    source: 'docker',
    what: 'image-not-pulled',
    services: ['st_app'],
    image: 'registry.example/app:1',
    registry,
  });
  const engine = (what: Exclude<DockerFact['what'], 'image-not-pulled'>) =>
    new CcciError('DOCKER_FAILED', 'Docker Engine: x failed', { fact: docker(what) });
  const http = (what: HttpFact['what']): Fact => ({ source: 'http', what });
  const browser = (what: BrowserFact['what']): BrowserFact => ({ source: 'browser', what });
  const data = (what: 'command-failed' | 'mutate-had-no-effect' | 'marker-mismatch'): Fact => ({
    source: 'data',
    what,
  });
  const read = (readBefore: boolean, cause: unknown) =>
    seen({ source: 'data', what: 'read-failed', readBefore }, cause);
  const threw = (page: BrowserFact | undefined, cause: unknown) =>
    seen({ source: 'custom-check', what: 'threw', ...(page ? { page } : {}) }, cause);
  const locked = (cause: unknown) => seen({ source: 'backup-repo', what: 'locked' }, cause);
  const each = <K extends string>(
    what: string,
    kinds: readonly K[],
    err: (k: K) => unknown,
    status: 'fail' | 'error',
    code: string,
  ): Row[] => kinds.map((k) => [`${what} ${k}`, err(k), status, code]);
  const refused = { source: 'browser', what: 'connection-failed', net: 'ERR_CONNECTION_RESET' } as const;

  const table: Row[] = [
    // abra: refusing a recipe action is the recipe's; its own plumbing never is.
    ['abra exited on a recipe action', abra('exited'), 'fail', 'ABRA_REFUSED'],
    ['abra named a lint rule on a recipe action', abra('refused-by-lint'), 'fail', 'ABRA_REFUSED'],
    ['abra exited on a call that does not act on the recipe', abra('exited', false), 'error', 'ABRA_FAILED'],
    ['abra named a lint rule on another call', abra('refused-by-lint', false), 'error', 'ABRA_FAILED'],
    ...each(
      'abra on a recipe action:',
      ['unknown-flag', 'no-terminal', 'docker-unreachable', 'no-backupbot', 'unknown-server', 'repo-locked'] as const,
      (k) => abra(k),
      'error',
      'ABRA_FAILED',
    ),
    ...each(
      'abra on another call:',
      ['did-not-start', 'help-failed', 'unexpected-result'] as const,
      (k) => abra(k, false),
      'error',
      'ABRA_FAILED',
    ),
    // An abra that could not start or left nothing to read is the host's, even on a recipe action.
    ...each(
      'abra on a recipe action:',
      ['did-not-start', 'help-failed', 'unexpected-result'] as const,
      (k) => abra(k),
      'error',
      'ABRA_FAILED',
    ),
    // Docker: the stack's state is the recipe's; the Engine is not.
    ...each(
      'docker',
      ['not-converged', 'update-paused', 'tasks-failing'] as const,
      (w) => seen(docker(w)),
      'fail',
      'NOT_CONVERGED',
    ),
    ['no container of a service of the app', seen(docker('no-container')), 'fail', 'RECIPE_BROKEN'],
    [
      'no container of the backup bot',
      seen({ source: 'docker', what: 'no-container', service: 'bot_app', ofTheApp: false }),
      'error',
      'DOCKER_FAILED',
    ],
    ...each('docker', ['unreachable', 'engine-error', 'exec-failed'] as const, engine, 'error', 'DOCKER_FAILED'),
    // An image: one its registry does not have is the recipe's; a registry that would not hand it over is not.
    ['an image the registry does not have', seen(pull('not-found')), 'fail', 'RECIPE_BROKEN'],
    ...each(
      'an image not pulled, the registry:',
      ['rate-limited', 'unauthorized', 'unreachable', 'no-answer', 'has-it'] as const,
      (r) => seen(pull(r)),
      'error',
      'IMAGE_PULL_FAILED',
    ),
    // HTTP through the ingress: the ingress answers for a dead backend, so silence is the app's.
    ...each(
      'http',
      ['no-answer', 'status-mismatch', 'body-mismatch'] as const,
      (w) => seen(http(w)),
      'fail',
      'CHECK_FAILED',
    ),
    ...each(
      'http',
      ['refused', 'reset', 'tls', 'unreachable'] as const,
      (w) => seen(http(w)),
      'error',
      'INGRESS_FAILED',
    ),
    ['unhealthy, the last try got no answer', seen(http('unhealthy'), seen(http('no-answer'))), 'fail', 'CHECK_FAILED'],
    ['unhealthy, the last try got a wrong status', seen(http('unhealthy')), 'fail', 'CHECK_FAILED'],
    [
      'unhealthy, the ingress refused the last try',
      seen(http('unhealthy'), seen(http('refused'))),
      'error',
      'INGRESS_FAILED',
    ],
    ['unhealthy, the last try hit a bug', seen(http('unhealthy'), new TypeError('x')), 'error', 'INTERNAL'],
    // Chromium: what the page did is the app's; the browser and the ingress are not.
    ...each(
      'browser',
      ['load-timeout', 'load-failed', 'error-status', 'text-not-seen'] as const,
      (w) => seen(browser(w)),
      'fail',
      'CHECK_FAILED',
    ),
    ['browser connection-failed', seen(refused), 'error', 'INGRESS_FAILED'],
    ...each(
      'browser',
      ['did-not-start', 'no-page', 'crashed'] as const,
      (w) => seen(browser(w)),
      'error',
      'BROWSER_FAILED',
    ),
    // The backup repository locked by another restic: the code of the call that met the lock.
    ['repository locked, met by abra', locked(abra('exited')), 'error', 'ABRA_FAILED'],
    [
      'repository locked, met by restic in the bot',
      locked(new CcciError('DOCKER_FAILED', 'restic forget exited with 1')),
      'error',
      'DOCKER_FAILED',
    ],
    // Data markers.
    ['a data command failed', seen(data('command-failed')), 'fail', 'DATA_COMMAND_FAILED'],
    ['mutate had no effect', seen(data('mutate-had-no-effect')), 'fail', 'DATA_COMMAND_FAILED'],
    ['the marker is not there', seen(data('marker-mismatch')), 'fail', 'DATA_LOST'],
    ['a read that worked before fails', read(true, seen(data('command-failed'))), 'fail', 'DATA_LOST'],
    ['the first read fails', read(false, seen(data('command-failed'))), 'fail', 'DATA_COMMAND_FAILED'],
    ['the first read finds no container', read(false, seen(docker('no-container'))), 'fail', 'RECIPE_BROKEN'],
    ['a read that worked before finds no container', read(true, seen(docker('no-container'))), 'fail', 'DATA_LOST'],
    ['a read meets a broken Docker', read(true, engine('unreachable')), 'error', 'DOCKER_FAILED'],
    // The recipe's files and versions.
    ['a compose file is missing', seen({ source: 'recipe', what: 'compose-file-missing' }), 'fail', 'RECIPE_BROKEN'],
    ['names too long for any stack', seen({ source: 'recipe', what: 'names-too-long' }), 'fail', 'RECIPE_BROKEN'],
    ['not the head deployed', seen({ source: 'version', what: 'not-the-head' }), 'fail', 'WRONG_VERSION'],
    ['the version label did not move', seen({ source: 'version', what: 'label-not-moved' }), 'fail', 'WRONG_VERSION'],
    // Custom checks: a throw is the check failing, unless Chromium or the ingress could not deliver the page.
    ['a custom check threw', threw(undefined, new Error('expected Welcome')), 'fail', 'CHECK_FAILED'],
    ['a custom check threw a page the ingress reset', threw(refused, seen(refused)), 'error', 'INGRESS_FAILED'],
    [
      'a custom check threw a crashed page',
      threw(browser('crashed'), seen(browser('crashed'))),
      'error',
      'BROWSER_FAILED',
    ],
    [
      'a custom check threw a page not loaded in time',
      threw(browser('load-timeout'), seen(browser('load-timeout'))),
      'fail',
      'CHECK_FAILED',
    ],
    ['a custom check ran out of time', seen({ source: 'custom-check', what: 'timed-out' }), 'fail', 'CHECK_FAILED'],
    [
      'a custom check file did not load',
      seen({ source: 'custom-check', what: 'did-not-load' }),
      'error',
      'CONFIG_INVALID',
    ],
    // The recipe's own tests and lint.
    ["the recipe's tests exited non-zero", seen({ source: 'recipe-tests', what: 'exited' }), 'fail', 'TESTS_FAILED'],
    ['a test case failed', seen({ source: 'recipe-tests', what: 'case-failed' }), 'fail', 'TESTS_FAILED'],
    [
      'the tests could not run as an unprivileged user',
      seen({ source: 'recipe-tests', what: 'not-isolated' }),
      'error',
      'TESTS_NOT_RUN',
    ],
    ['pytest is not installed', seen({ source: 'recipe-tests', what: 'runner-missing' }), 'error', 'TESTS_NOT_RUN'],
    [
      'an error-level lint rule is unsatisfied',
      seen({ source: 'lint', what: 'rule-unsatisfied' }),
      'fail',
      'LINT_FAILED',
    ],
  ];

  it.each(table)('%s', (_, err, status, code) => {
    expect(blame(err)).toMatchObject({ status, code });
  });

  it('quotes what was seen, or the lint rule abra named, or the cause that decided', () => {
    expect(blame(seen(http('no-answer')))).toEqual({ status: 'fail', code: 'CHECK_FAILED', message: 'what was seen' });
    const said = 'abra app deploy exited 1: FATA R014: …';
    const lint = new CcciError('ABRA_FAILED', said, {
      fact: { source: 'abra', kind: 'refused-by-lint', rule: 'R014', onRecipe: true },
    });
    expect(blame(lint).message).toBe(`abra refused the recipe on lint rule R014: ${said}`);
    const ingress = new FactError(http('refused'), 'could not reach the ingress http://127.0.0.1:1: ECONNREFUSED');
    expect(blame(seen(http('unhealthy'), ingress)).message).toBe(ingress.message);
    expect(blame(read(true, engine('unreachable'))).message).toBe('Docker Engine: x failed');
    expect(
      blame(threw(refused, new FactError(refused, 'could not load http://a/: net::ERR_CONNECTION_RESET'))).message,
    ).toBe('could not load http://a/: net::ERR_CONNECTION_RESET');
  });

  it("makes every fact error in a stopped run, with the stop's code", () => {
    const signal = stopped('TIMED_OUT', 'runTimeout');
    for (const [, err] of table) {
      expect(blame(err, signal)).toEqual({ status: 'error', code: 'TIMED_OUT', message: 'runTimeout' });
    }
  });

  it('makes a row from a fact seen without an exception, keeping what the row says', () => {
    expect(
      rowFromFact('R014 tags', { source: 'lint', what: 'rule-unsatisfied' }, { detail: 'error: not satisfied' }),
    ).toEqual({ name: 'R014 tags', status: 'fail', code: 'LINT_FAILED', detail: 'error: not satisfied' });
    expect(
      rowFromFact('a.broken', { source: 'custom-check', what: 'did-not-load' }, { detail: 'could not load a' }),
    ).toEqual({ name: 'a.broken', status: 'error', code: 'CONFIG_INVALID', detail: 'could not load a' });
    const row = { detail: '200', durationMs: 5, artifact: 'x.png' };
    expect(rowFromFact('browser /', browser('text-not-seen'), row)).toEqual({
      name: 'browser /',
      status: 'fail',
      code: 'CHECK_FAILED',
      ...row,
    });
  });

  it("still judges errors without a fact; another Abra's ABRA_FAILED is read from its words", () => {
    expect(blame(new RecipeFailure('RECIPE_BROKEN', 'x'))).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
    expect(blame(new CcciError('GIT_FAILED', 'x'))).toMatchObject({ status: 'error', code: 'GIT_FAILED' });
    const noSnapshots = () => new CcciError('ABRA_FAILED', 'abra app restore exited 1: FATA no snapshots found');
    expect(blame(noSnapshots())).toMatchObject({ status: 'error', code: 'ABRA_FAILED' });
    expect(blame(asRecipeAction(noSnapshots()))).toMatchObject({ status: 'fail', code: 'ABRA_REFUSED' });
  });
});
