// The convergence wait against a fake swarm whose state changes over time: a crash loop that
// Swarm reports `running` for an instant is not converged, and a converged stack must hold for
// the service's update monitor before the wait returns.
import { describe, expect, it } from 'vitest';
import { ConvergenceError, waitForConvergence } from '../../../src/docker/converge.js';
import type { ServiceState, TaskState } from '../../../src/docker/swarm-api.js';
import type { SwarmApi } from '../../../src/docker/swarm-api.js';

type Snapshot = { services: ServiceState[]; tasks: TaskState[] };

/** A swarm whose state is whatever `at(msSinceStart)` says; only the calls the wait makes. */
function fakeSwarm(at: (elapsed: number) => Snapshot): SwarmApi {
  const start = Date.now();
  return {
    services: async () => at(Date.now() - start).services,
    tasks: async () => at(Date.now() - start).tasks,
    events: async () => {},
  } as unknown as SwarmApi;
}

const service = (monitorMs?: number): ServiceState => ({
  id: 's1',
  name: 'st_app',
  createdAt: '',
  labels: {},
  running: 1,
  desired: 1,
  template: 't',
  monitorMs,
});
const task = (id: string, state: string, since: number): TaskState => ({
  id,
  serviceId: 's1',
  state,
  desiredState: state === 'running' || state === 'starting' ? 'running' : 'shutdown',
  message: state,
  timestamp: new Date(since).toISOString(),
  template: 't',
});

describe('waiting for convergence', () => {
  it('does not take a task that is running for an instant between two restarts for convergence', async () => {
    const t0 = Date.now();
    // Every 400 ms a new task starts, shows `running` for 60 ms (the container already exited 0
    // after it was stopped as unhealthy), then completes and is replaced.
    const swarm = fakeSwarm((elapsed) => {
      const cycle = Math.floor(elapsed / 400);
      const inCycle = elapsed % 400;
      const done = Array.from({ length: cycle }, (_, i) => task(`old${i}`, 'complete', t0 + i * 400 + 360));
      const current = task(
        `t${cycle}`,
        inCycle >= 300 && inCycle < 360 ? 'running' : 'starting',
        t0 + cycle * 400 + (inCycle >= 300 ? 300 : 0),
      );
      return { services: [service(500)], tasks: [...done, current] };
    });
    const progress: string[] = [];
    const wait = waitForConvergence(swarm, 'st', { deadlineMs: 2_500, onProgress: (l) => progress.push(l) });
    await expect(wait).rejects.toThrow(ConvergenceError);
    await expect(wait).rejects.toThrow(
      /timed out after 3 s waiting for stack st to converge: service st_app 0\/1 running/,
    );
    await expect(wait).rejects.toMatchObject({ what: 'not-converged', fact: { services: ['st_app'] } });
    // It did see the instants of `running`, and waited to verify them each time.
    expect(progress.some((l) => l.includes('to verify that the tasks are stable'))).toBe(true);
  });

  it("returns once the tasks have been running for the service's update monitor", async () => {
    const t0 = Date.now();
    const swarm = fakeSwarm((elapsed) => ({
      services: [service(800)],
      tasks: [elapsed < 200 ? task('a', 'starting', t0) : task('a', 'running', t0 + 200)],
    }));
    const converged = await waitForConvergence(swarm, 'st', { deadlineMs: 10_000 });
    const took = Date.now() - t0;
    expect(converged.stableForMs).toBe(800);
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(3_000);
    // Convergence was noticed right after Docker recorded the task running.
    expect(converged.noticedAt - converged.reportedAt).toBeLessThan(300);
  });

  const defaultMonitor =
    "waits Swarm's default monitor of 5 s when the service sets none, and restarts the window when a task is replaced";
  it(
    defaultMonitor,
    async () => {
      const t0 = Date.now();
      // Running from 0; replaced at 2 s by a task running from 2.1 s: stable only at 7.1 s.
      const swarm = fakeSwarm((elapsed) => ({
        services: [service()],
        tasks:
          elapsed < 2_000
            ? [task('a', 'running', t0)]
            : elapsed < 2_100
              ? [task('a', 'failed', t0 + 2_000), task('b', 'starting', t0 + 2_000)]
              : [task('a', 'failed', t0 + 2_000), task('b', 'running', t0 + 2_100)],
      }));
      const converged = await waitForConvergence(swarm, 'st', { deadlineMs: 20_000 });
      expect(converged.stableForMs).toBe(5_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(7_100);
    },
    15_000,
  );
});

describe('a stack whose services want no replicas', () => {
  it('is converged once seen to hold, not waited on forever', async () => {
    const swarm = fakeSwarm(() => ({ services: [{ ...service(300), running: 0, desired: 0 }], tasks: [] }));
    const t0 = Date.now();
    const converged = await waitForConvergence(swarm, 'st', { deadlineMs: 5_000 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(converged.reportedAt).toBe(converged.noticedAt);
  });
});
