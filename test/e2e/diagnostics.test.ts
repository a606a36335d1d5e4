// What a maintainer needs to fix a failure, on the real testbed swarm: a crash-looping recipe's
// last words end up in the run's artifacts and in the install stage's reason, with the image the
// service ran; the Docker adapter reads the logs of dead tasks and the image digest; and an image
// that could not be pulled is explained by what its registry (the stand-in, testbed/registry)
// told the real Docker Engine.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_TIMEOUT_MS, waitForConvergence } from '../../src/docker/converge.js';
import { STACK_LABEL } from '../../src/docker/docker.js';
import { collectDiagnostics, lastWords } from '../../src/docker/diagnostics.js';
import { blame } from '../../src/model/blame.js';
import { execa } from 'execa';
import { commitOnBranch, type FixtureRepo } from '../../testbed/fixtures/make-recipes.js';
import { RATE_LIMIT_MESSAGE, startRegistry, type Registry } from '../../testbed/registry/main.js';
import { artifactsDir, docker, fixtures, leftovers, runCli, waitFor } from './helpers.js';

const CRASH_LINE = 'crashloop-app: cannot open /config/app.toml: no such file';

let repos: Record<string, FixtureRepo>;
beforeAll(async () => {
  repos = await fixtures(['crashloop-app']);
});

describe('diagnostics of a failed run', () => {
  it("keeps a crash-looping service's logs and image, and says its last words in the reason", async () => {
    const r = await runCli([
      'run',
      'crashloop-app',
      '--repo',
      repos['crashloop-app']!.url,
      '--ref',
      'main',
      '--quick',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    const results = r.results!;
    const install = results.stages.find((s) => s.name === 'install')!;
    expect(install.status).toBe('fail');
    expect(install.reason).toContain(CRASH_LINE);
    const app = results.apps[0]! as (typeof results.apps)[number] & { services?: unknown };
    expect(app.services).toEqual(
      expect.arrayContaining([
        {
          name: 'app',
          image: expect.any(String),
          digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
          log: 'logs-install-app.txt',
        },
      ]),
    );
    const log = readFileSync(join(artifactsDir(results.runId), 'logs-install-app.txt'), 'utf8');
    expect(log).toContain(CRASH_LINE);
    expect(results.teardown.clean).toBe(true);
    expect(await leftovers(app.stack)).toEqual([]);
  });
});

describe('SwarmDocker diagnostics on the real swarm', () => {
  it('reads the logs of dead tasks of a crash-looping service and the image it ran', async () => {
    // Not a test-app name: the janitor of a concurrent test must not reap it.
    const stack = `ccci-diagtest-${randomBytes(3).toString('hex')}`;
    const name = `${stack}_app`;
    const image = 'nginx:1.27.2';
    await docker.api.createService({
      Name: name,
      Labels: { [STACK_LABEL]: stack },
      TaskTemplate: {
        ContainerSpec: {
          Image: image,
          // $HOSTNAME is the container's short id: it tells whose last words a line is. Docker
          // reads stdout and stderr on their own pipes, so lines written at once may swap: pause.
          Command: ['sh', '-c', `echo "out $HOSTNAME"; sleep 0.2; echo "${CRASH_LINE} $HOSTNAME" >&2; exit 1`],
        },
        RestartPolicy: { Condition: 'on-failure', Delay: 500_000_000 },
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: 'dnsrr' },
    });
    try {
      const id = (await docker.services(stack))[0]!.id;
      const failed = await waitFor(
        'two failed tasks',
        async () => {
          const dead = (await docker.tasks([id])).filter((t) => t.state === 'failed' && t.containerId);
          return dead.length >= 2 ? dead : undefined;
        },
        60_000,
      );

      const logs = await docker.serviceLogs(name, { tail: 100 });
      // Every dead task's container has its own line: the logs of dead tasks are included.
      for (const t of failed) expect(logs).toContain(`${CRASH_LINE} ${t.containerId!.slice(0, 12)}`);
      // stdout and stderr are both there, each frame's header stripped, no timestamps.
      expect(logs).toContain(`out ${failed[0]!.containerId!.slice(0, 12)}`);
      expect([...logs].some((c) => c.charCodeAt(0) < 9)).toBe(false);
      expect(logs).not.toMatch(/^\d{4}-\d\d-\d\dT/m);
      // Oldest first: the tasks' lines come in the order the tasks ran (Docker sends them in any order).
      const ran = [...failed]
        .sort((a, b) => a.timestamp.localeCompare(b.timestamp))
        .map((t) => t.containerId!.slice(0, 12));
      const seen = [
        ...new Set(
          logs
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split(' ').at(-1)!),
        ),
      ].filter((h) => ran.includes(h));
      expect(seen).toEqual(ran);
      // tail applies per task: with tail 1 each task gives its last line, the stderr one.
      const tail1 = (await docker.serviceLogs(name, { tail: 1 })).split('\n').filter(Boolean);
      expect(tail1.length).toBeGreaterThanOrEqual(2);
      expect(tail1.every((l) => l.startsWith(CRASH_LINE))).toBe(true);

      expect(await lastWords(docker, name)).toContain(CRASH_LINE);
      expect(await docker.serviceLogs(`${stack}_nope`, { tail: 10 })).toBe('');

      const images = await docker.serviceImages(stack);
      expect(images).toEqual([{ service: 'app', image, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) }]);
      const local = await docker.api.getImage(image).inspect();
      expect(images[0]!.digest).toBe(local.Id);

      // A signal that is already aborted stops the read.
      await expect(docker.serviceLogs(name, { tail: 10, signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: 'CANCELLED',
      });

      const dir = mkdtempSync('/tmp/ccci-diag-');
      const got = await collectDiagnostics({
        docker,
        stack,
        role: 'install',
        artifactsDir: dir,
        redact: (t) => t.replaceAll('/config/', '/<masked>/'),
      });
      expect(got).toEqual([{ name: 'app', image, digest: local.Id, log: 'logs-install-app.txt' }]);
      const file = readFileSync(join(dir, 'logs-install-app.txt'), 'utf8');
      expect(file).toContain('cannot open /<masked>/app.toml');
      expect(file).not.toContain('/config/');
    } finally {
      await docker.removeServices([name]);
    }
  });
});

describe('an image that could not be pulled, on the real swarm and Engine', () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.close();
  });

  /** A one-service stack whose image is `image`; the judgement of waiting for it to converge. */
  async function deployAndJudge(image: string) {
    // Not a test-app name: the janitor of a concurrent test must not reap it.
    const stack = `ccci-pulltest-${randomBytes(3).toString('hex')}`;
    await docker.api.createService({
      Name: `${stack}_app`,
      Labels: { [STACK_LABEL]: stack },
      TaskTemplate: { ContainerSpec: { Image: image }, RestartPolicy: { Condition: 'any', Delay: 1_000_000_000 } },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: 'dnsrr' },
    });
    const started = Date.now();
    try {
      const err = await waitForConvergence(docker, stack, { deadlineMs: 30_000 }).catch((e: unknown) => e);
      return { ...blame(err), waitedMs: Date.now() - started, stack };
    } finally {
      await docker.removeServices([`${stack}_app`]);
    }
  }

  it("the registry's rate limit: error IMAGE_PULL_FAILED, saying so with the registry's words", async () => {
    const image = `${registry.host}/ratelimited/app:1.2`;
    const b = await deployAndJudge(image);
    expect(b.status).toBe('error');
    expect(b.code).toBe('IMAGE_PULL_FAILED');
    expect(b.message).toContain(`image ${image} of service ${b.stack}_app could not be pulled`);
    expect(b.message).toContain("the registry's pull rate limit was hit");
    expect(b.message).toContain(`toomanyrequests: ${RATE_LIMIT_MESSAGE}`);
    // Given up at once, not at the 30 s deadline.
    expect(b.waitedMs).toBeLessThan(15_000);
    // The Engine did ask the stand-in for the manifest.
    expect(registry.requests).toContainEqual({ method: 'GET', path: '/v2/ratelimited/app/manifests/1.2' });
  });

  it('a tag the registry does not have: the recipe fails, naming the image', async () => {
    const image = `${registry.host}/missing/app:9.9`;
    const b = await deployAndJudge(image);
    expect(b.status).toBe('fail');
    expect(b.code).toBe('RECIPE_BROKEN');
    expect(b.message).toContain(`image ${image} of service ${b.stack}_app does not exist`);
    expect(b.message).toContain('manifest unknown');
    expect(b.waitedMs).toBeLessThan(15_000);
  });

  it('a registry that wants a login: error IMAGE_PULL_FAILED, pointing to docker login', async () => {
    const b = await deployAndJudge(`${registry.host}/private/app:1`);
    expect(b).toMatchObject({ status: 'error', code: 'IMAGE_PULL_FAILED' });
    expect(b.message).toContain('unauthorized: authentication required');
    expect(b.message).toContain('docker login');
  });

  it("a run whose image meets a rate limit ends error IMAGE_PULL_FAILED (exit 3), not the recipe's fail", async () => {
    const repo = repos['crashloop-app']!;
    const compose = (await execa('git', ['--git-dir', repo.dir, 'show', 'main:compose.yml'])).stdout;
    const image = `${registry.host}/ratelimited/crashloop:1.0`;
    expect(compose).toContain('image: nginx:1.27.2');
    const branch = `pull-ratelimited-${randomBytes(3).toString('hex')}`;
    await commitOnBranch(
      repo,
      branch,
      { 'compose.yml': compose.replace('image: nginx:1.27.2', `image: ${image}`) },
      'x',
    );
    const r = await runCli(['run', 'crashloop-app', '--repo', repo.url, '--ref', branch, '--quick', '--json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const results = r.results!;
    const install = results.stages.find((s) => s.name === 'install')!;
    expect(install).toMatchObject({ status: 'error', code: 'IMAGE_PULL_FAILED' });
    expect(install.reason).toContain(`converged: image ${image} of service`);
    expect(install.reason).toContain("the registry's pull rate limit was hit");
    expect(results.error).toMatchObject({ code: 'IMAGE_PULL_FAILED' });
    expect(results.teardown.clean).toBe(true);
    expect(await leftovers(results.apps[0]!.stack)).toEqual([]);
  });

  it("reads each of the Engine's answers about a registry; one that does not answer is cut off", async () => {
    const ask = (image: string, timeoutMs = REGISTRY_TIMEOUT_MS) => docker.askRegistry(image, { timeoutMs });
    expect(await ask(`${registry.host}/denied/app:1`)).toMatchObject({ answer: 'unauthorized', status: 403 });
    expect(await ask(`${registry.host}/other/app:1`)).toMatchObject({ answer: 'not-found', status: 404 });
    expect(await ask('127.0.0.1:1/app:1')).toMatchObject({
      answer: 'unreachable',
      message: expect.stringContaining('connection refused'),
    });
    const started = Date.now();
    expect(await ask(`${registry.host}/silent/app:1`, 1_000)).toMatchObject({ answer: 'no-answer' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
