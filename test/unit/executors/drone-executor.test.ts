// The drone executor against an in-memory Drone (the DroneBuilds port) and a real run folder that
// the test fills as serve's ingest route would: a run is followed through its events file, ends
// with its run-finished event once Drone says the build is done, and ends errored with a code
// naming Drone when the build ends without it, vanishes, or Drone stops answering. A stop cancels
// the build; after a restart the build is followed again from the number kept in the folder.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildParams, type DroneBuild, type DroneBuilds } from '../../../src/executors/drone/drone-builds.js';
import { buildFile, droneExecutor } from '../../../src/executors/drone/drone-executor.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { CcciError } from '../../../src/model/errors.js';
import type { RunEventLine } from '../../../src/model/run-events.js';
import { runFolder } from '../../../src/model/run-folder.js';
import type { RunRecord } from '../../../src/model/run.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';

/** Drone in memory: builds by number, what was asked, and faults to play. */
class MemoryDrone implements DroneBuilds {
  readonly builds = new Map<number, DroneBuild>();
  readonly created: Record<string, string>[] = [];
  readonly cancelled: number[] = [];
  createFails?: Error;
  /** get throws this while set (a Drone that does not answer). */
  getFails?: Error;
  cancelFailsOnce = false;
  gets = 0;

  async create(params: Record<string, string>): Promise<number> {
    if (this.createFails) throw this.createFails;
    this.created.push(params);
    const number = this.created.length;
    this.builds.set(number, { number, status: 'pending', done: false });
    return number;
  }

  async get(number: number): Promise<DroneBuild | undefined> {
    this.gets++;
    if (this.getFails) throw this.getFails;
    const build = this.builds.get(number);
    return build && { ...build };
  }

  async cancel(number: number): Promise<void> {
    if (this.cancelFailsOnce) {
      this.cancelFailsOnce = false;
      throw new CcciError('DRONE_UNREACHABLE', 'Drone did not answer');
    }
    this.cancelled.push(number);
    this.set(number, { status: 'killed', done: true });
  }

  set(number: number, change: Partial<DroneBuild>): void {
    this.builds.set(number, { ...this.builds.get(number)!, ...change });
  }
}

const run = (id: string): RunRecord =>
  ({
    id,
    recipe: 'custom-html',
    repo: 'https://git.example.org/coop-cloud/custom-html.git',
    ref: 'refs/pull/3/head',
    sha: 'a'.repeat(40),
    stages: ['install', 'upgrade'],
    keep: false,
    state: 'queued',
    trigger: { kind: 'forge' },
    queuedAt: new Date().toISOString(),
  }) as unknown as RunRecord;

function setup(opts: { unreachableLimitMs?: number; settleMs?: number; silenceLimitMs?: number } = {}) {
  const storeDir = mkdtempSync(join(tmpdir(), 'cc-ci-drone-exec-'));
  const drone = new MemoryDrone();
  const executor = droneExecutor({
    storeDir,
    builds: drone,
    serveUrl: 'https://ci.example.org',
    log: createLogger({ secrets: new SecretRegistry(), console: false }).log,
    pollMs: 10,
    unreachableLimitMs: opts.unreachableLimitMs ?? 200,
    settleMs: opts.settleMs ?? 100,
    killGraceMs: 200,
    silenceLimitMs: opts.silenceLimitMs ?? 60_000,
  });
  /** Appends an event to the run's folder, as the ingest route does. */
  let seq = 0;
  const ingest = (id: string, event: Record<string, unknown>) => {
    const folder = runFolder(storeDir, id);
    mkdirSync(folder.dir, { recursive: true });
    const line = { runId: id, seq: ++seq, at: new Date().toISOString(), ...event };
    appendFileSync(folder.events, `${JSON.stringify(line)}\n`);
  };
  const finish = (id: string, exitCode: number) => {
    const results = { verdict: exitCode === 0 ? 'pass' : 'fail', level: 5, durationMs: 1000, stages: [] };
    ingest(id, { type: 'run-finished', exitCode, results });
  };
  return { storeDir, drone, executor, ingest, finish };
}

async function until<T>(what: string, probe: () => T | undefined | false, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the drone executor', () => {
  it("creates one build with the run's parameters (no credential among them) and keeps its number", async () => {
    const { drone, executor, storeDir } = setup();
    executor.start(run('r1'));
    await until('the build', () => drone.created.length === 1);
    expect(drone.created[0]).toEqual(buildParams(run('r1'), 'https://ci.example.org'));
    expect(drone.created[0]).toMatchObject({
      CCCI_RUN_ID: 'r1',
      CCCI_SHA: 'a'.repeat(40),
      CCCI_STAGES: 'install,upgrade',
    });
    expect(Object.keys(drone.created[0]!).some((k) => /SECRET|TOKEN|KEY$/.test(k))).toBe(false);
    await until('the number kept', () => existsSync(buildFile(runFolder(storeDir, 'r1'))));
    expect(JSON.parse(readFileSync(buildFile(runFolder(storeDir, 'r1')), 'utf8'))).toEqual({ number: 1 });
  });

  it("a run that names no stages gets serve's runner.stages, not the runner host's", () => {
    const none = { ...run('r0'), stages: [] } as unknown as RunRecord;
    expect(buildParams(none, 'https://ci.example.org', ['install'])).toMatchObject({ CCCI_STAGES: 'install' });
    // Stages the run names win.
    expect(buildParams(run('r0'), 'https://ci.example.org', ['install'])).toMatchObject({
      CCCI_STAGES: 'install,upgrade',
    });
  });

  it('follows the events the ingest route writes and ends with run-finished once the build is done', async () => {
    const { drone, executor, ingest, finish } = setup();
    const execution = executor.start(run('r2'));
    expect(execution.pid).toBeUndefined();
    expect(execution.detached).toBeDefined();
    const seen: RunEventLine[] = [];
    execution.onEvent((e) => seen.push(e));
    await until('the build', () => drone.builds.has(1));
    expect(execution.host?.()).toBeUndefined();
    drone.set(1, { status: 'running', machine: 'runner-a' });
    await until('the runner host', () => execution.host?.() === 'runner-a');
    ingest('r2', { type: 'stage-started', stage: 'install' });
    await until('the stage event', () => seen.length === 1);
    finish('r2', 1);
    // The run said it ended; the build is not done yet (the step still sends artifacts).
    await new Promise((r) => setTimeout(r, 60));
    let ended = false;
    void execution.ended.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(ended).toBe(false);
    drone.set(1, { status: 'failure', done: true });
    expect(await execution.ended).toMatchObject({ code: 1, signal: null });
    expect(seen.map((e) => e.type)).toEqual(['stage-started', 'run-finished']);
  });

  it("a build that ends without the run's end is DRONE_BUILD_LOST, naming the build and the runner host", async () => {
    const { drone, executor, ingest } = setup();
    const execution = executor.start(run('r3'));
    await until('the build', () => drone.builds.has(1));
    drone.set(1, { status: 'running', machine: 'runner-b' });
    ingest('r3', { type: 'stage-started', stage: 'install' });
    await new Promise((r) => setTimeout(r, 30));
    drone.set(1, { status: 'error', done: true, link: 'https://drone.example.org/ops/cc-ci/1' });
    const end = await execution.ended;
    expect(end.code).toBeNull();
    expect(end.error).toEqual({
      code: 'DRONE_BUILD_LOST',
      message: expect.stringMatching(
        /^Drone build 1 ended error on runner host runner-b without the run's own end.*ops\/cc-ci\/1/,
      ),
    });
  });

  it('a running build whose step goes silent (its host died, Drone says running) is lost and cancelled', async () => {
    const { drone, executor, storeDir } = setup({ silenceLimitMs: 300 });
    const heard = runFolder(storeDir, 'r15').ingestHeard;
    const alive = executor.start(run('r15'));
    await until('the build', () => drone.builds.has(1));
    drone.set(1, { status: 'running', machine: 'runner-b' });
    // Heard from every 100 ms: alive past the limit.
    for (let i = 0; i < 6; i++) {
      writeFileSync(heard, '');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(drone.cancelled).toEqual([]);
    // Then nothing more.
    const end = await alive.ended;
    expect(end.error).toEqual({
      code: 'DRONE_BUILD_LOST',
      message: expect.stringMatching(/^no word from the step of Drone build 1 on runner host runner-b for \d+ s/),
    });
    await until('the cancel', () => drone.cancelled.length === 1);
  });

  it('a build Drone no longer knows is DRONE_BUILD_LOST', async () => {
    const { drone, executor } = setup();
    const execution = executor.start(run('r4'));
    await until('the build', () => drone.builds.has(1));
    drone.builds.delete(1);
    expect((await execution.ended).error).toMatchObject({
      code: 'DRONE_BUILD_LOST',
      message: /no longer knows build 1/,
    });
  });

  it('a Drone that does not answer for longer than the limit errors the run naming Drone; a blip not', async () => {
    const { drone, executor, finish } = setup({ unreachableLimitMs: 300 });
    const blip = executor.start(run('r5'));
    await until('the build', () => drone.builds.has(1));
    drone.getFails = new Error('connect ECONNREFUSED 127.0.0.1:9');
    await new Promise((r) => setTimeout(r, 100));
    drone.getFails = undefined;
    finish('r5', 0);
    drone.set(1, { status: 'success', done: true });
    expect(await blip.ended).toMatchObject({ code: 0 });

    const lost = executor.start(run('r6'));
    await until('the build', () => drone.builds.has(2));
    drone.getFails = new Error('connect ECONNREFUSED 127.0.0.1:9');
    const end = await lost.ended;
    expect(end.error).toEqual({
      code: 'DRONE_UNREACHABLE',
      message: expect.stringMatching(/^Drone did not answer about build 2 for 0 min \(last: connect ECONNREFUSED/),
    });
  });

  it("a create Drone refuses ends the run with Drone's code at once; nothing is followed", async () => {
    const { drone, executor } = setup();
    drone.createFails = new CcciError('DRONE_REFUSED', 'Drone answered 403: no write access to ops/cc-ci');
    const end = await executor.start(run('r7')).ended;
    expect(end.error).toEqual({
      code: 'DRONE_REFUSED',
      message: "Drone did not create the run's build: Drone answered 403: no write access to ops/cc-ci",
    });
    drone.createFails = new Error('socket hang up');
    expect((await executor.start(run('r8')).ended).error?.code).toBe('DRONE_UNREACHABLE');
  });

  it("a stop goes to the step through the run's folder (no Drone cancel: it would SIGKILL the step)", async () => {
    const { drone, executor, storeDir, finish } = setup();
    const execution = executor.start(run('r9'));
    await until('the build', () => drone.builds.has(1));
    drone.set(1, { status: 'running', machine: 'runner-a' });
    await until('the runner host', () => execution.host?.() === 'runner-a');
    execution.stop({ code: 'SUPERSEDED', message: 'superseded by run r10' });
    expect(JSON.parse(readFileSync(runFolder(storeDir, 'r9').stopReason, 'utf8'))).toEqual({
      code: 'SUPERSEDED',
      message: 'superseded by run r10',
    });
    // The step reads the reason, its run tears down and says so; then the build ends.
    finish('r9', 3);
    drone.set(1, { status: 'failure', done: true });
    expect(await execution.ended).toMatchObject({ code: 3, signal: null });
    expect(drone.cancelled).toEqual([]);
  });

  it('a kill cancels the build through Drone (sent again if Drone did not take it)', async () => {
    const { drone, executor } = setup();
    const execution = executor.start(run('r14'));
    await until('the build', () => drone.builds.has(1));
    drone.set(1, { status: 'running', machine: 'runner-a' });
    drone.cancelFailsOnce = true;
    execution.kill();
    await until('the cancel', () => drone.cancelled.length === 1);
    const end = await execution.ended;
    expect(end).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(end.error).toBeUndefined();
  });

  it('a stop before Drone answered the create cancels the build once it exists', async () => {
    const { drone, executor } = setup();
    const execution = executor.start(run('r11'));
    execution.stop({ code: 'CANCELLED', message: 'cancelled' });
    await until('the cancel', () => drone.cancelled.length === 1);
    expect(drone.cancelled).toEqual([1]);
    await execution.ended;
  });

  it('after a restart, follows the build again by its kept number (events replayed), or gives up', async () => {
    const { drone, executor, ingest, finish, storeDir } = setup();
    const first = executor.start(run('r12'));
    await until('the build', () => drone.builds.has(1));
    ingest('r12', { type: 'stage-started', stage: 'install' });
    first.detached!.detach();
    const pollsAfterDetach = drone.gets;
    await new Promise((r) => setTimeout(r, 60));
    expect(drone.gets - pollsAfterDetach).toBeLessThanOrEqual(1);

    const again = executor.reattach(run('r12'));
    expect(again.alive).toBe(true);
    expect(again.detached).toBeDefined();
    const seen: string[] = [];
    again.onEvent((e) => seen.push(e.type));
    expect(seen).toEqual(['stage-started']);
    finish('r12', 0);
    drone.set(1, { status: 'success', done: true });
    expect(await again.ended).toMatchObject({ code: 0 });

    mkdirSync(runFolder(storeDir, 'r13').dir, { recursive: true });
    writeFileSync(buildFile(runFolder(storeDir, 'r13')), 'not json');
    const unknown = executor.reattach(run('r13'));
    expect(unknown.alive).toBe(false);
    expect(await unknown.ended).toMatchObject({ code: null });
  });
});
