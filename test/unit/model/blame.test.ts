// The one owner of fail versus error, and the checks that ask it: a broken or interrupted check is
// never the recipe's fail; a check that saw the wrong thing is.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcciError, RecipeFailure } from '../../../src/model/errors.js';
import { blame, finishStage, stopInfo } from '../../../src/model/blame.js';
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
  it('makes a RecipeFailure fail, cc-ci\'s own errors and bugs error', () => {
    expect(blame(new RecipeFailure('DATA_LOST', 'marker lost'))).toEqual({ status: 'fail', code: 'DATA_LOST', message: 'marker lost' });
    expect(blame(new CcciError('DOCKER_FAILED', 'socket'))).toEqual({ status: 'error', code: 'DOCKER_FAILED', message: 'socket' });
    expect(blame(new TypeError('x is undefined'))).toEqual({ status: 'error', code: 'INTERNAL', message: 'x is undefined' });
  });

  it('makes anything thrown in a stopped run error, with the reason the stop was given', () => {
    const signal = stopped('SUPERSEDED', 'superseded by run 42');
    expect(blame(new RecipeFailure('CHECK_FAILED', 'health did not answer'), signal)).toEqual({ status: 'error', code: 'SUPERSEDED', message: 'superseded by run 42' });
    expect(stopInfo(stopped('TIMED_OUT', 'runTimeout'))).toEqual({ code: 'TIMED_OUT', message: 'runTimeout' });
    const plain = new AbortController();
    plain.abort();
    expect(stopInfo(plain.signal)?.code).toBe('CANCELLED');
    expect(stopInfo(new AbortController().signal)).toBeUndefined();
  });

  it('finishes a stage: stopped → error; a fail row → fail; an error row → error; else pass', () => {
    const failRow = { name: 'health GET /', status: 'fail' as const, detail: '503', code: 'CHECK_FAILED' };
    const errorRow = { name: 'browser /', status: 'error' as const, detail: 'Chromium went away', code: 'BROWSER_FAILED' };
    expect(finishStage('install', Date.now(), [failRow], undefined, stopped('CANCELLED', 'stopped by SIGTERM')))
      .toMatchObject({ status: 'error', code: 'CANCELLED', reason: 'stopped: stopped by SIGTERM', checks: [failRow] });
    expect(finishStage('install', Date.now(), [errorRow, failRow], undefined, undefined)).toMatchObject({ status: 'fail', code: 'CHECK_FAILED' });
    expect(finishStage('install', Date.now(), [errorRow], undefined, undefined)).toMatchObject({ status: 'error', code: 'BROWSER_FAILED' });
    expect(finishStage('install', Date.now(), [], new CcciError('GIT_FAILED', 'clone'), undefined)).toMatchObject({ status: 'error', code: 'GIT_FAILED' });
    expect(finishStage('install', Date.now(), [{ name: 'x', status: 'pass' }], undefined, undefined)).toMatchObject({ status: 'pass' });
  });

  it('reads a page load: no answer in time is the app\'s, a refused connection or a dead browser is not', () => {
    const load = (message: string) => blame(pageFailure(new Error(message), 'http://a'));
    expect(load('page.goto: Timeout 30000ms exceeded.')).toMatchObject({ status: 'fail', code: 'CHECK_FAILED' });
    expect(load('page.goto: net::ERR_CONNECTION_REFUSED at http://a'))
      .toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    expect(load('page.goto: Target page, context or browser has been closed'))
      .toMatchObject({ status: 'error', code: 'BROWSER_FAILED' });
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
  afterAll(() => { server.closeAllConnections(); server.close(); });

  it('classifies request failures where the cause is known', async () => {
    const failed = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => blame(err));
    expect(await failed(requestViaIngress(closedPort, 'a.ci.test', '/')))
      .toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    expect(await failed(requestViaIngress(ingress, 'a.ci.test', '/hang', { timeoutMs: 200 })))
      .toMatchObject({ status: 'fail', code: 'CHECK_FAILED' });
    const c = new AbortController();
    setTimeout(() => c.abort(), 50);
    await expect(requestViaIngress(ingress, 'a.ci.test', '/hang', { signal: c.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('health: a wrong status is fail, an unreachable ingress is error, a stop is error within a moment', async () => {
    expect(await checkHealth(ingress, 'a.ci.test', { path: '/broken', timeoutMs: 1_500 })).toMatchObject({ status: 'fail', code: 'CHECK_FAILED', detail: expect.stringContaining('last: 503') });
    expect(await checkHealth(closedPort, 'a.ci.test', { path: '/', timeoutMs: 1_500 })).toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    const c = new AbortController();
    setTimeout(() => c.abort(new CcciError('CANCELLED', 'stopped by SIGTERM')), 300);
    const started = Date.now();
    const row = await checkHealth(ingress, 'a.ci.test', { path: '/broken', timeoutMs: 300_000 }, c.signal);
    expect(row).toMatchObject({ status: 'error', code: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('custom checks: a throw is fail, cc-ci\'s own error is error, a stop ends a hanging check at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-ci-checks-'));
    const file = join(dir, 'site.check.mjs');
    writeFileSync(file, [
      'export async function throws() { throw new Error("expected Welcome"); }',
      // Checks run in export-name order; this one hangs, and the run is stopped while it does.
      'export async function zhangs() { globalThis.stopTheRun(); await new Promise(() => {}); }',
    ].join('\n'));
    const c = new AbortController();
    const exec = async () => { throw new CcciError('DOCKER_FAILED', 'Docker Engine: gone'); };
    (globalThis as { stopTheRun?: () => void }).stopTheRun = () => setTimeout(() => c.abort(new CcciError('CANCELLED', 'stopped by SIGTERM')), 100);
    const started = Date.now();
    const rows = await runCustomChecks([file], { recipe: 'x', domain: 'a.ci.test', ingress, exec, signal: c.signal });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(rows.find((r) => r.name === 'site.throws')).toMatchObject({ status: 'fail', code: 'CHECK_FAILED', detail: 'expected Welcome' });
    expect(rows.find((r) => r.name === 'site.zhangs')).toMatchObject({ status: 'error', code: 'CANCELLED' });

    const file2 = join(dir, 'exec.check.mjs');
    writeFileSync(file2, 'export async function usesExec(ctx) { await ctx.exec("app", ["true"]); }\n');
    const rows2 = await runCustomChecks([file2], { recipe: 'x', domain: 'a.ci.test', ingress, exec, signal: new AbortController().signal });
    expect(rows2[0]).toMatchObject({ status: 'error', code: 'DOCKER_FAILED' });

    // A check file that does not load: the checks could not be made; the next file still runs.
    const broken = join(dir, 'a-broken.check.mjs');
    writeFileSync(broken, 'export async function x( {\n');
    const rows3 = await runCustomChecks([broken, file2], { recipe: 'x', domain: 'a.ci.test', ingress, exec, signal: new AbortController().signal });
    expect(rows3.map((r) => [r.name, r.status, r.code])).toEqual([['a-broken', 'error', 'CONFIG_INVALID'], ['exec.usesExec', 'error', 'DOCKER_FAILED']]);
  });
});

describe('a failed abra call on the recipe', () => {
  it('is the recipe\'s ABRA_REFUSED, naming the lint rule abra names', () => {
    const said = 'abra app deploy exited 1: FATA R014: only annotated tags used for recipe version: unable to deploy';
    const refused = blame(asRecipeAction(new CcciError('ABRA_FAILED', said)));
    expect(refused).toMatchObject({ status: 'fail', code: 'ABRA_REFUSED' });
    expect(refused.message).toMatch(/^abra refused the recipe on lint rule R014: /);
    const compose = blame(asRecipeAction(new CcciError('ABRA_FAILED', 'abra app deploy exited 1: FATA bad image')));
    expect(compose).toMatchObject({ code: 'ABRA_REFUSED' });
  });
  it('stays error when abra\'s own plumbing failed, or for anything that is not ABRA_FAILED', () => {
    for (const msg of [
      'abra app backup create exited 1: FATA the input device is not a TTY',
      'abra app deploy exited 1: FATA Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
      'abra app restore exited 1: FATA no backupbot deployed: no running service labelled coop-cloud.backupbot.enabled=true',
      'abra app deploy exited 1: FATA unknown flag: --no-domain-checks',
      'abra app backup create exited 1: FATA Fatal: unable to create lock in backend: repository is already locked exclusively by PID 41 on backups by root (UID 0, GID 0)',
    ]) {
      const err = new CcciError('ABRA_FAILED', msg);
      expect(blame(asRecipeAction(err))).toEqual({ status: 'error', code: 'ABRA_FAILED', message: msg });
    }
    const timeout = new CcciError('DEADLINE', 'abra app deploy: no answer within 600 s');
    expect(asRecipeAction(timeout)).toBe(timeout);
    expect(blame(asRecipeAction(timeout))).toMatchObject({ status: 'error', code: 'DEADLINE' });
  });
});
