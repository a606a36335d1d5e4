// What a maintainer needs to fix a failure, on the real testbed swarm: a crash-looping recipe's
// last words end up in the run's artifacts and in the install stage's reason, with the image the
// service ran; and the Docker adapter reads the logs of dead tasks and the image digest.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_LABEL } from '../../src/docker/docker.js';
import { collectDiagnostics, lastWords } from '../../src/docker/diagnostics.js';
import type { FixtureRepo } from '../../testbed/fixtures/make-recipes.js';
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
