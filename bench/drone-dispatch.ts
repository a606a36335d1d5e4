// bench/drone-dispatch: how long a run takes from `enqueue` (POST /api/runs with the admin token)
// to its child's `run-started` event as serve sees it (in serve's run folder), through the
// stand-in Drone (testbed/drone/: a build, a runner taking it, `cc-ci drone step`, the ingest
// route) against the local executor, in the same bench run. Each run's repository is a missing
// folder on an allowed origin, so the run errors at its clone right after run-started and nothing
// is deployed. Runs go one at a time (no queueing in the figure). Prints p50/p95 of each executor
// and the difference; the goal is at most 2 s more than local at p95.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { dronePipeline, INGEST_SECRET_NAME } from '../src/drone/pipeline.js';
import { startDrone } from '../testbed/drone/main.js';
import { knob } from './smoke.js';
import { cli, configWith, seconds, waitFor } from './lib.js';

const token = 'bench-admin-token-0123456789abcdef';
const ingestSecret = 'bench-ingest-secret-0123456789abcdef';
const RUNNER_REPO = 'ops/cc-ci-runner';
const rounds = knob('BENCH_DISPATCH_ROUNDS', 10, 2);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

interface Serve {
  base: string;
  store: string;
  child: ChildProcess;
}

/** serve on its own store and port; `drone` makes it hand its runs to Drone. */
async function startServe(dir: string, drone?: { url: string; tokenFile: string; secretFile: string }): Promise<Serve> {
  const port = await freePort();
  const doc = parse(readFileSync(configWith(), 'utf8'));
  doc.store = join(dir, 'store');
  doc.runner.stages = ['install'];
  doc.dashboard = {
    listen: `127.0.0.1:${port}`,
    publicUrl: `http://127.0.0.1:${port}`,
    allowedRepoOrigins: [`file://${dir}/`],
  };
  if (drone) {
    doc.runner.executor = 'drone';
    doc.runner.drone = {
      url: drone.url,
      tokenFile: drone.tokenFile,
      repo: RUNNER_REPO,
      ingestSecretFile: drone.secretFile,
    };
  }
  const config = join(dir, 'cc-ci.yml');
  writeFileSync(config, stringify(doc));
  const child = spawn(process.execPath, [cli, 'serve', '--config', config], {
    stdio: 'ignore',
    env: { ...process.env, CCCI_ADMIN_TOKEN: token },
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    'serve',
    async () => {
      try {
        return (await fetch(`${base}/healthz`)).ok || undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
    200,
  );
  return { base, store: doc.store as string, child };
}

const call = async (base: string, path: string, method = 'GET', body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json() as Promise<{ id: string; state: string }>;
};

const startedIn = (store: string, id: string) => {
  try {
    return readFileSync(join(store, 'runs', id, 'events.jsonl'), 'utf8').includes('"run-started"') || undefined;
  } catch {
    return undefined;
  }
};

/** Milliseconds from each POST /api/runs to the run's run-started on serve, one run at a time. */
async function dispatchTimes(serve: Serve, dir: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const asked = Date.now();
    const run = await call(serve.base, '/api/runs', 'POST', {
      recipe: 'custom-html',
      ref: 'main',
      repo: `file://${dir}/missing-${i}`,
    });
    if (!run.id) throw new Error(`POST /api/runs refused the run: ${JSON.stringify(run)}`);
    await waitFor('run-started on serve', async () => startedIn(serve.store, run.id), 60_000, 20);
    times.push(Date.now() - asked);
    // The next run starts alone: this one has ended (its clone fails).
    await waitFor(
      'the run to end',
      async () =>
        ['queued', 'running'].includes((await call(serve.base, `/api/runs/${run.id}`)).state) ? undefined : true,
      120_000,
      100,
    );
  }
  return times;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;

async function stop(serve: Serve): Promise<void> {
  serve.child.kill('SIGTERM');
  await new Promise((r) => serve.child.once('exit', r));
}

const dir = mkdtempSync('/tmp/cc-ci-bench-dispatch-');
// The runner repository's pipeline runs this build's cc-ci (the build does not mark it executable).
chmodSync(cli, 0o755);
const runnerRepo = join(dir, 'runner-repo');
mkdirSync(runnerRepo);
writeFileSync(join(runnerRepo, '.drone.yml'), dronePipeline({ ccCi: cli }));
// The runner host: its own store and abra dir, the testbed's swarm.
const hostDir = join(dir, 'host-a');
mkdirSync(hostDir);
const hostDoc = parse(readFileSync(configWith(), 'utf8'));
hostDoc.store = join(hostDir, 'store');
cpSync(hostDoc.swarm.abraDir as string, join(hostDir, 'abra'), { recursive: true });
hostDoc.swarm.abraDir = join(hostDir, 'abra');
writeFileSync(join(hostDir, 'cc-ci.yml'), stringify(hostDoc));

const drone = await startDrone({});
drone.control.addRepo(RUNNER_REPO, runnerRepo);
drone.control.setSecret(RUNNER_REPO, INGEST_SECRET_NAME, ingestSecret);
drone.control.addRunner({ name: 'host-a', capacity: 2, env: { CCCI_CONFIG: join(hostDir, 'cc-ci.yml') } });
writeFileSync(join(dir, 'drone_token'), drone.token, { mode: 0o600 });
writeFileSync(join(dir, 'ingest_secret'), ingestSecret, { mode: 0o600 });

try {
  const localDir = join(dir, 'local');
  mkdirSync(localDir);
  const local = await startServe(localDir);
  const localTimes = await dispatchTimes(local, localDir).finally(() => stop(local));
  const droneDir = join(dir, 'drone');
  mkdirSync(droneDir);
  const viaDrone = await startServe(droneDir, {
    url: drone.url,
    tokenFile: join(dir, 'drone_token'),
    secretFile: join(dir, 'ingest_secret'),
  });
  const droneTimes = await dispatchTimes(viaDrone, droneDir).finally(() => stop(viaDrone));
  const line = (name: string, xs: number[]) => `${name} p50 ${seconds(pct(xs, 0.5))} p95 ${seconds(pct(xs, 0.95))}`;
  process.stderr.write(`local: ${localTimes.join(' ')} ms\ndrone: ${droneTimes.join(' ')} ms\n`);
  console.log(
    `enqueue -> run-started on serve over ${rounds} runs each: ${line('local', localTimes)}; ` +
      `${line('drone', droneTimes)}; drone - local at p95 ${seconds(pct(droneTimes, 0.95) - pct(localTimes, 0.95))} ` +
      '(goal <= 2 s)',
  );
} finally {
  await drone.close();
}
