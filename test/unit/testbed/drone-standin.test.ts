// The stand-in Drone's exec runners (testbed/drone): the pipeline `cc-ci drone pipeline` prints,
// run as local processes by two runners playing two runner hosts; capacity, cancel, a failing
// step, a runner that dies, the reaper. The step's `cc-ci` is a small script here (the real
// `cc-ci drone step` is tested on its own): it writes its environment and pid, then waits.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDroneClient, type DroneClient } from '../../../src/drone/client.js';
import { dronePipeline, INGEST_SECRET_NAME } from '../../../src/drone/pipeline.js';
import type { DroneBuild } from '../../../src/drone/types.js';
import { startDrone, type Drone, type DroneOptions } from '../../../testbed/drone/main.js';

const REPO = 'ops/cc-ci-runner';
let scratch: string;
let out: string;
let drone: Drone;
let client: DroneClient;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'drone-standin-'));
  out = join(scratch, 'out');
  mkdirSync(out);
  const fake = join(scratch, 'fake-cc-ci');
  writeFileSync(
    fake,
    [
      '#!/bin/sh',
      // $1 $2 are `drone step`; the run's parameters and the secret come in the environment.
      'env > "$OUT_DIR/$CCCI_RUN_ID.env"',
      'echo "$1 $2" > "$OUT_DIR/$CCCI_RUN_ID.argv"',
      'echo $$ > "$OUT_DIR/$CCCI_RUN_ID.pid"',
      'while [ ! -e "$OUT_DIR/go-$CCCI_RUN_ID" ]; do sleep 0.05; done',
      'exit "$(cat "$OUT_DIR/go-$CCCI_RUN_ID")"',
      '',
    ].join('\n'),
  );
  chmodSync(fake, 0o755);
  const repoDir = join(scratch, 'runner-repo');
  mkdirSync(repoDir);
  writeFileSync(join(repoDir, '.drone.yml'), dronePipeline({ ccCi: fake }));
});

afterEach(async () => {
  await drone?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function start(opts: DroneOptions = {}): Promise<void> {
  drone = await startDrone({ pollMs: 20, ...opts });
  drone.control.addRepo(REPO, join(scratch, 'runner-repo'));
  drone.control.setSecret(REPO, INGEST_SECRET_NAME, 'the-ingest-secret');
  client = createDroneClient({ url: drone.url, token: drone.token, repo: REPO });
}

const runBuild = (runId: string) => client.start({ params: { CCCI_RUN_ID: runId, OUT_DIR: out } });
const go = (runId: string, code = 0) => writeFileSync(join(out, `go-${runId}`), String(code));

async function until(read: () => Promise<DroneBuild | undefined>, ok: (b: DroneBuild) => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const build = await read();
    if (build && ok(build)) return build;
    if (Date.now() > end) throw new Error(`gave up waiting; last seen ${JSON.stringify(build)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function waitForFile(file: string, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  while (!existsSync(file) || readFileSync(file, 'utf8') === '') {
    if (Date.now() > end) throw new Error(`no ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return readFileSync(file, 'utf8');
}

const envOf = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s, 2)),
  );
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the stand-in Drone’s exec runners', () => {
  it('two runners take two builds at once, each with its own environment; a third waits for room', async () => {
    await start();
    drone.control.addRunner({
      name: 'host-a',
      capacity: 1,
      env: { ABRA_DIR: '/srv/a/abra', CCCI_CONFIG: '/etc/a.yml' },
    });
    drone.control.addRunner({
      name: 'host-b',
      capacity: 1,
      env: { ABRA_DIR: '/srv/b/abra', CCCI_CONFIG: '/etc/b.yml' },
    });
    const [one, two, three] = [await runBuild('r1'), await runBuild('r2'), await runBuild('r3')];
    const a = await until(
      () => client.get(one),
      (b) => b.status === 'running',
    );
    const b = await until(
      () => client.get(two),
      (b) => b.status === 'running',
    );
    const machines = [a.stages[0]?.machine, b.stages[0]?.machine].sort();
    expect(machines).toEqual(['host-a', 'host-b']);
    expect((await client.get(three))?.status).toBe('pending');
    const env1 = envOf(await waitForFile(join(out, 'r1.env')));
    const env2 = envOf(await waitForFile(join(out, 'r2.env')));
    for (const [env, build] of [
      [env1, a],
      [env2, b],
    ] as const) {
      const host = build.stages[0]?.machine === 'host-a' ? 'a' : 'b';
      expect(env).toMatchObject({
        ABRA_DIR: `/srv/${host}/abra`,
        CCCI_CONFIG: `/etc/${host}.yml`,
        CCCI_INGEST_SECRET: 'the-ingest-secret',
        DRONE_BUILD_EVENT: 'custom',
        DRONE_BUILD_NUMBER: String(build.number),
        DRONE_STAGE_MACHINE: `host-${host}`,
      });
    }
    expect(readFileSync(join(out, 'r1.argv'), 'utf8')).toBe('drone step\n');
    go('r1');
    go('r3');
    expect(
      (
        await until(
          () => client.get(three),
          (b) => b.status === 'success',
        )
      ).stages[0]?.machine,
    ).toBe(a.stages[0]?.machine);
    go('r2', 3);
    const failed = await until(
      () => client.get(two),
      (b) => b.status === 'failure',
    );
    expect(failed.stages[0]).toMatchObject({ status: 'failure', exit_code: 3 });
    expect(failed.stages[0]?.steps[0]).toMatchObject({ name: 'run', status: 'failure', exit_code: 3 });
    const log = await client.logs(two, 1, 1);
    expect(log?.[0]).toMatchObject({ pos: 0, out: expect.stringMatching(/^\+ exec .*fake-cc-ci drone step\n$/) });
  });

  it('a cancel kills the step’s process and the build is killed', async () => {
    await start();
    drone.control.addRunner({ name: 'host-a', capacity: 2 });
    const number = await runBuild('c1');
    const pid = Number(await waitForFile(join(out, 'c1.pid')));
    expect(alive(pid)).toBe(true);
    await client.cancel(number);
    const build = await client.get(number);
    expect(build).toMatchObject({ status: 'killed' });
    expect(build?.stages[0]).toMatchObject({ status: 'killed', machine: 'host-a' });
    expect(build?.stages[0]?.steps[0]?.status).toBe('killed');
    const end = Date.now() + 5_000;
    while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
    // The runner has room again: the next build runs.
    const next = await runBuild('c2');
    go('c2');
    await until(
      () => client.get(next),
      (b) => b.status === 'success',
    );
  });

  it('a runner that dies: its process is gone, the build stays running until the reaper ends it in error', async () => {
    await start({ reapRunningAfterMs: 3_000 });
    drone.control.addRunner({ name: 'host-a', capacity: 1 });
    const number = await runBuild('k1');
    const pid = Number(await waitForFile(join(out, 'k1.pid')));
    drone.control.killRunner('host-a');
    const end = Date.now() + 5_000;
    while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
    // As on a real Drone: nobody reports the stage's end, so Drone still says running, on host-a.
    expect(await client.get(number)).toMatchObject({ status: 'running', stages: [{ machine: 'host-a' }] });
    // A dead runner takes nothing new.
    const waiting = await runBuild('k2');
    const reaped = await until(
      () => client.get(number),
      (b) => b.status === 'error',
    );
    expect(reaped.error).toMatch(/reaped/);
    expect(reaped.stages[0]).toMatchObject({ status: 'error', machine: 'host-a' });
    expect((await client.get(waiting))?.status).toBe('pending');
  });

  it('refuses an API call without a token (401), and a forgotten build is 404', async () => {
    await start();
    const res = await fetch(`${drone.url}/api/repos/${REPO}/builds/1`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    const number = await runBuild('f1');
    drone.control.forgetBuild(REPO, number);
    expect(await client.get(number)).toBeUndefined();
    // Numbers are not given twice.
    expect(await runBuild('f2')).toBe(number + 1);
    // The list, newest first and without stages; the latest of a branch.
    const auth = { headers: { authorization: `Bearer ${drone.token}` } };
    const list = (await (await fetch(`${drone.url}/api/repos/${REPO}/builds`, auth)).json()) as DroneBuild[];
    expect(list.map((b) => [b.number, b.stages])).toEqual([[number + 1, undefined]]);
    const latest = await fetch(`${drone.url}/api/repos/${REPO}/builds/latest?branch=main`, auth);
    expect(((await latest.json()) as DroneBuild).number).toBe(number + 1);
    expect((await fetch(`${drone.url}/api/repos/${REPO}/builds/latest?branch=other`, auth)).status).toBe(404);
  });
});
