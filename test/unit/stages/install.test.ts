// The install stage against fakes: abra (test/support/fake-abra-port.ts) deploys onto an
// in-memory swarm (fake-swarm.ts) that the real convergence wait reads; health and the spec's
// checks go over real HTTP to a tiny ingress on 127.0.0.1; playwright-core is replaced by a
// fake Chromium that loads pages from that ingress. No Docker, no network, no browser.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readEnvFile } from '../../../src/abra/env-file.js';
import { CcciError } from '../../../src/model/errors.js';
import { runInstall } from '../../../src/stages/install.js';
import { fakeChromium } from '../../support/fake-playwright.js';
import { deadIngress, page, startIngress, type FakeIngress } from '../../support/fake-ingress.js';
import { abraLabels, HEAD_SHA, HEAD_VERSION, stageRig, type RigOptions } from '../../support/stage-context.js';

vi.mock('playwright-core', () => import('../../support/fake-playwright.js'));

let ingress: FakeIngress;
beforeAll(async () => {
  ingress = await startIngress();
});
afterAll(() => ingress.close());
beforeEach(() => fakeChromium.reset());

/** A rig whose app answers through the ingress with a welcome page. */
function installRig(opts: RigOptions = {}) {
  const rig = stageRig({ ingress: ingress.url, ...opts });
  ingress.route(rig.app.name.domain, page('Custom HTML', 'Welcome'));
  return rig;
}

const hostsSeen = (domain: string) => ingress.requests.filter((r) => r.host === domain).map((r) => r.path);
// Health gets one try: the first answer decides.
const oneTry = { health: { timeout: '1ms' } };

describe('install stage: pass', () => {
  it("deploys the head, waits for convergence, then health, the spec's checks and a screenshot", async () => {
    const rig = installRig({
      spec: {
        env: { EXTRA_DOMAIN: 'www.{{domain}}' },
        checks: [{ http: { path: '/about', contains: 'Welcome' } }, { browser: { path: '/', see: 'Welcome' } }],
      },
      generated: [{ name: 'db_password', value: 'hunter2-generated-secret' }],
    });
    const { domain, stack } = rig.app.name;
    const result = await runInstall(rig.ctx, rig.app);

    expect(result).toMatchObject({ name: 'install', status: 'pass' });
    expect(result.code).toBeUndefined();
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['abra app new', 'pass'],
      ['swarm names within limits', 'pass'],
      ['abra app secret generate', 'pass'],
      ['abra app deploy --chaos (head)', 'pass'],
      ['converged', 'pass'],
      ['deployed the head commit', 'pass'],
      ['health GET /', 'pass'],
      ['http GET /about', 'pass'],
      ['browser / shows "Welcome"', 'pass'],
      ['browser /', 'pass'],
    ]);
    expect(result.checks.find((c) => c.name === 'health GET /')?.detail).toBe('GET / -> 200, title "Custom HTML"');
    // abra: a new app of the recipe at this domain, its secrets, the checked-out head.
    expect(rig.abra.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['appNew', 'custom-html', domain],
      ['generateSecrets', domain],
      ['deploy', domain, { chaos: true }],
    ]);
    expect(rig.abra.calls.every((c) => c.opts?.signal === rig.ctx.signal)).toBe(true);
    // The CI env: no ACME for test domains, the spec's env with the domain filled in.
    const env = readEnvFile(rig.abra.envFile(domain));
    expect(env).toMatchObject({ LETS_ENCRYPT_ENV: '', EXTRA_DOMAIN: `www.${domain}`, DOMAIN: domain });
    // Generated secrets are masked from the moment abra returns them.
    expect(rig.secrets.redact('pw hunter2-generated-secret')).toBe('pw ***');
    expect(rig.app.deployed).toEqual({
      role: 'install',
      domain,
      stack,
      version: HEAD_VERSION,
      chaosVersion: HEAD_SHA.slice(0, 8),
    });
    // Checks went through the ingress with the app's Host; Chromium mapped the domain to it.
    expect(hostsSeen(domain)).toEqual(['/', '/about', '/', '/']);
    expect(fakeChromium.launches[0]).toContain(`--host-resolver-rules=MAP ${domain} 127.0.0.1`);
    expect(existsSync(join(rig.ctx.artifactsDir, 'install-screenshot.png'))).toBe(true);
    expect(existsSync(join(rig.ctx.artifactsDir, 'install-check-2.png'))).toBe(true);
  });

  it('checks the app only once its tasks run and have held for the update monitor', async () => {
    const rig = installRig();
    let deployedAt = 0;
    let firstRequestAt = 0;
    rig.services = () => {
      deployedAt = Date.now();
      // Tasks start after 200 ms (a healthcheck), then must hold for the 300 ms monitor.
      return [
        {
          name: 'app',
          labels: abraLabels(rig.app.name.stack, HEAD_VERSION, HEAD_SHA.slice(0, 8)),
          startsAfterMs: 200,
          monitorMs: 300,
        },
      ];
    };
    ingress.route(rig.app.name.domain, () => {
      firstRequestAt ||= Date.now();
      return { status: 200, body: '<title>ok</title>' };
    });
    const result = await runInstall(rig.ctx, rig.app);
    expect(result.status).toBe('pass');
    expect(firstRequestAt - deployedAt).toBeGreaterThanOrEqual(500);
    expect(result.checks.find((c) => c.name === 'converged')?.detail).toBe('1 services at desired replicas');
  });
});

describe("install stage: fail (the recipe's fault)", () => {
  it('a crash loop does not converge: NOT_CONVERGED with the task error and its last log lines', async () => {
    const rig = installRig();
    rig.services = () => [
      {
        name: 'app',
        tasks: 'failing',
        taskError: 'task: non-zero exit (1)',
        logs: 'starting nginx\nnginx: [emerg] unknown directive "server_nme" in /etc/nginx/conf.d/default.conf:3\n',
      },
    ];
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'NOT_CONVERGED' });
    expect(result.reason).toContain(`service ${rig.app.name.stack}_app did not converge`);
    expect(result.reason).toContain('non-zero exit (1)');
    expect(result.reason).toContain('last logged: starting nginx | nginx: [emerg] unknown directive "server_nme"');
    expect(result.checks.at(-1)).toMatchObject({ name: 'converged', status: 'fail', code: 'NOT_CONVERGED' });
    // Nothing is checked on an app that never came up.
    expect(hostsSeen(rig.app.name.domain)).toEqual([]);
  });

  it("a stack whose tasks are never scheduled fails at the app's .env TIMEOUT (fake time)", async () => {
    const rig = installRig({ appEnv: { TIMEOUT: '120' } });
    rig.services = () => [{ name: 'app', tasks: 'pending' }];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const t0 = Date.now();
      let settled = false;
      const running = runInstall(rig.ctx, rig.app).finally(() => {
        settled = true;
      });
      for (let i = 0; i < 400 && !settled; i++) await vi.advanceTimersByTimeAsync(1_000);
      const result = await running;
      // TIMEOUT=120 (seconds) beats runner.deployTimeout (300 s here).
      expect(Date.now() - t0).toBeGreaterThanOrEqual(120_000);
      expect(Date.now() - t0).toBeLessThan(130_000);
      expect(result).toMatchObject({ status: 'fail', code: 'NOT_CONVERGED' });
      const stack = rig.app.name.stack;
      expect(result.reason).toMatch(
        new RegExp(
          `^converged: timed out after 120 s waiting for stack ${stack} to converge: service ${stack}_app 0/1 running`,
        ),
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('abra refusing the recipe on deploy is ABRA_REFUSED, naming the lint rule; nothing is waited for', async () => {
    const rig = installRig();
    rig.abra.fail(
      'deploy',
      new CcciError('ABRA_FAILED', 'abra app deploy exited 1: FATA R014: only annotated tags used for recipe version'),
    );
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'ABRA_REFUSED' });
    expect(result.reason).toContain('abra refused the recipe on lint rule R014');
    expect(rig.swarm.count('services')).toBe(0);
  });

  it('an app answering 503 fails its health check: CHECK_FAILED, and no other check runs', async () => {
    const rig = installRig({ spec: { ...oneTry, checks: [{ http: { path: '/about' } }] } });
    ingress.route(rig.app.name.domain, () => ({ status: 503, body: '<title>Service Unavailable</title>' }));
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'CHECK_FAILED' });
    expect(result.reason).toBe(
      `health GET /: GET http://${rig.app.name.domain}/ did not answer a status below 500 within 0 s; ` +
        'last: 503, title "Service Unavailable"',
    );
    expect(hostsSeen(rig.app.name.domain)).toEqual(['/']);
    expect(fakeChromium.visited).toEqual([]);
  });

  it('an http check that does not find its text fails the stage: CHECK_FAILED', async () => {
    const rig = installRig({ spec: { checks: [{ http: { path: '/version.txt', contains: '1.1.0' } }] } });
    ingress.route(rig.app.name.domain, (path) => ({ status: 200, body: path === '/version.txt' ? '1.0.0' : '' }));
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({
      status: 'fail',
      code: 'CHECK_FAILED',
      reason: 'http GET /version.txt: the body does not contain "1.1.0"',
    });
  });

  it('a deploy of some other commit than the head is WRONG_VERSION', async () => {
    const rig = installRig();
    rig.services = () => [{ name: 'app', labels: abraLabels(rig.app.name.stack, HEAD_VERSION, 'deadbeef+U') }];
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'WRONG_VERSION' });
    expect(result.reason).toContain('chaos-version "deadbeef+U", not the head c0ffee12');
    expect(hostsSeen(rig.app.name.domain)).toEqual([]);
  });

  it("an image tag its registry does not have is the recipe's: RECIPE_BROKEN naming the image", async () => {
    const rig = installRig();
    const image = 'registry.example/app:9.9';
    rig.services = () => [{ name: 'app', image, tasks: 'unpullable' }];
    rig.swarm.registry(image, { answer: 'not-found', message: 'manifest unknown: manifest unknown', status: 404 });
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
    expect(result.reason).toContain(`converged: image ${image} of service ${rig.app.name.stack}_app does not exist`);
    expect(result.checks.at(-1)).toMatchObject({ name: 'converged', status: 'fail', code: 'RECIPE_BROKEN' });
    expect(hostsSeen(rig.app.name.domain)).toEqual([]);
  });
});

describe('install stage: error (infrastructure, or the run was stopped)', () => {
  it("the registry's rate limit on an image is IMAGE_PULL_FAILED, never NOT_CONVERGED", async () => {
    const rig = installRig();
    const image = 'docker.io/library/nginx:1.27.2';
    rig.services = () => [{ name: 'app', image, tasks: 'unpullable' }];
    const said = 'toomanyrequests: You have reached your pull rate limit.';
    rig.swarm.registry(image, { answer: 'rate-limited', message: said, status: 429 });
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'IMAGE_PULL_FAILED' });
    expect(result.reason).toContain("the registry's pull rate limit was hit");
    expect(result.reason).toContain(said);
    expect(result.checks.at(-1)).toMatchObject({ name: 'converged', status: 'error', code: 'IMAGE_PULL_FAILED' });
  });

  it('Docker failing while the stack converges is DOCKER_FAILED', async () => {
    const rig = installRig();
    const down = 'Docker Engine: listing services failed: connect ENOENT';
    rig.swarm.breakWith('services', new CcciError('DOCKER_FAILED', down));
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'DOCKER_FAILED', reason: `converged: ${down}` });
    expect(result.checks.at(-1)).toMatchObject({ name: 'converged', status: 'error', code: 'DOCKER_FAILED' });
  });

  it("abra that cannot reach Docker is its own plumbing: ABRA_FAILED, not the recipe's fail", async () => {
    const rig = installRig();
    rig.abra.fail(
      'deploy',
      new CcciError(
        'ABRA_FAILED',
        'abra app deploy exited 1: FATA Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
      ),
    );
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'ABRA_FAILED' });
    expect(result.checks.at(-1)).toMatchObject({ name: 'abra app deploy --chaos (head)', status: 'error' });
  });

  it('an ingress that refuses the connection is INGRESS_FAILED', async () => {
    const rig = stageRig({ ingress: await deadIngress(), spec: oneTry });
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    expect(result.checks.at(-1)).toMatchObject({ name: 'health GET /', status: 'error', code: 'INGRESS_FAILED' });
    expect(result.checks.at(-1)?.detail).toContain('ECONNREFUSED');
  });

  it('Chromium that cannot start is BROWSER_FAILED, after health and the http checks passed', async () => {
    fakeChromium.launchError = new Error('Failed to launch: spawn /usr/bin/chromium ENOENT');
    const rig = installRig();
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'BROWSER_FAILED' });
    expect(result.reason).toContain('could not start');
    expect(result.checks.find((c) => c.name === 'health GET /')?.status).toBe('pass');
  });

  it('a page load Chromium aborts because the network changed is tried again', async () => {
    const changed = () => new Error('page.goto: net::ERR_NETWORK_CHANGED at https://x.ci.test/');
    const errorPage = new Error(
      'page.goto: Navigation to "https://x.ci.test/" is interrupted by another navigation to ' +
        '"chrome-error://chromewebdata/"',
    );
    fakeChromium.gotoErrors.push(changed(), errorPage);
    const rig = installRig();
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'pass' });
    expect(fakeChromium.visited).toHaveLength(3);
  });

  it('a network change on every try is the ingress error, never the recipe fail', async () => {
    for (let i = 0; i < 3; i += 1) fakeChromium.gotoErrors.push(new Error('page.goto: net::ERR_NETWORK_CHANGED at …'));
    const rig = installRig();
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    expect(result.checks.at(-1)).toMatchObject({ name: 'browser /', status: 'error', code: 'INGRESS_FAILED' });
  });

  it("a stop while the stack converges is error with the stop's code, at once", async () => {
    const rig = installRig();
    rig.services = () => [{ name: 'app', tasks: 'pending' }];
    setTimeout(() => rig.stop('SUPERSEDED', 'superseded by run r2'), 100);
    const t0 = Date.now();
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({ status: 'error', code: 'SUPERSEDED', reason: 'stopped: superseded by run r2' });
    expect(result.checks.at(-1)).toMatchObject({ name: 'converged', status: 'error', code: 'SUPERSEDED' });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(hostsSeen(rig.app.name.domain)).toEqual([]);
  });

  it("a stop during health retries is the stop's error, not the failing check's fail", async () => {
    const rig = installRig();
    ingress.route(rig.app.name.domain, () => {
      setImmediate(() => rig.stop('CANCELLED', 'cancelled from the dashboard'));
      return { status: 503, body: '' };
    });
    const result = await runInstall(rig.ctx, rig.app);
    expect(result).toMatchObject({
      status: 'error',
      code: 'CANCELLED',
      reason: 'stopped: cancelled from the dashboard',
    });
    expect(result.checks.at(-1)).toMatchObject({ name: 'health GET /', status: 'error', code: 'CANCELLED' });
    // The retries end with the stop: one request, no second try a second later.
    expect(hostsSeen(rig.app.name.domain)).toEqual(['/']);
  });
});
