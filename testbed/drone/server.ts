// startDrone: the Drone stand-in on 127.0.0.1 — the API under /api/ (api.ts), the control surface
// under /_testbed/ (control.ts), exec runners in the same process (runner.ts), and a reaper that
// ends builds left `running` past a deadline (a runner that vanished; README.md).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults } from '../forge/faults.js';
import { cancelBuild, send, serveApi } from './api.js';
import { DroneControl, serveControl } from './control.js';
import { nowSeconds } from './records.js';
import { Store } from './store.js';

export interface DroneOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** The first user's token (default random); its login is `cc-ci-bot`. */
  token?: string;
  /**
   * How long a build may stay `running` before the reaper ends it in `error` (Drone's
   * DRONE_CLEANUP_DEADLINE_RUNNING, 24 h by default there and here).
   */
  reapRunningAfterMs?: number;
  /** How often runners poll for pending stages and the reaper looks (default 100 ms). */
  pollMs?: number;
}

export interface Drone {
  /** http://127.0.0.1:<port> (no trailing slash). */
  url: string;
  /** The token of the first user, cc-ci-bot. */
  token: string;
  control: DroneControl;
  close(): Promise<void>;
}

export async function startDrone(opts: DroneOptions = {}): Promise<Drone> {
  const store = new Store();
  const faults = new Faults();
  const user = store.addUser('cc-ci-bot', opts.token);
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const control = new DroneControl(url, store, faults);
  const pollAll = () => {
    for (const runner of control.runners.values()) runner.poll();
  };
  store.onPending = () => setImmediate(pollAll);
  const reapAfter = opts.reapRunningAfterMs ?? 24 * 3600_000;
  const timer = setInterval(() => {
    pollAll();
    reap(store, reapAfter);
  }, opts.pollMs ?? 100);
  timer.unref();

  server.on('request', (req, res) => {
    const target = new URL(req.url ?? '/', url);
    const handle = async () => {
      if (target.pathname.startsWith('/_testbed/')) return serveControl(control, req, res, target);
      if (target.pathname.startsWith('/api/')) {
        const fault = faults.active();
        if (fault?.mode === '500') return send(res, 500, { message: 'Internal Server Error' });
        if (fault?.mode === 'hang') await faults.waitUntilOver();
        return serveApi({ store, cancelOnRunners: (b) => runnersCancel(b) }, req, res, target);
      }
      return send(res, 404, { message: 'Not Found' });
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  const runnersCancel = (build: Parameters<typeof cancelBuild>[0]) => {
    for (const runner of control.runners.values()) runner.cancel(build);
  };

  return {
    url,
    token: user.token,
    control,
    async close() {
      clearInterval(timer);
      faults.clear();
      for (const runner of control.runners.values()) runner.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Builds running past the deadline end in `error`, their running stages and steps too. */
function reap(store: Store, afterMs: number): void {
  const now = nowSeconds();
  for (const repo of store.repos.values())
    for (const build of repo.builds) {
      // `started` is in whole seconds: count from the latest moment it could stand for.
      if (build.status !== 'running' || Date.now() - (build.started + 1) * 1000 < afterMs) continue;
      const message = 'the build ran past its deadline and was reaped (its runner stopped reporting)';
      for (const stage of build.stages) {
        if (stage.status !== 'running' && stage.status !== 'pending') continue;
        stage.status = 'error';
        stage.error = message;
        stage.stopped = now;
        for (const step of stage.steps)
          if (step.status === 'running' || step.status === 'pending') {
            step.status = step.status === 'running' ? 'error' : 'skipped';
            step.stopped = now;
          }
      }
      build.status = 'error';
      build.error = message;
      build.finished = now;
      build.updated = now;
    }
}
