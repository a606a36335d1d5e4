// serve with push runs on (forge.pushRuns, the default) against the Gitea-compatible stand-in
// (testbed/forge/), a fake executor and a clock moved by hand: enrolling a recipe that never had a
// default-branch run queues one run of its head; a push to the default branch, seen by the poller,
// queues exactly one run of the new head; two quick pushes delivered by the stand-in's push webhook
// give one run of the newer (the older is superseded), and a replayed delivery of the older push
// runs nothing (the head is read from the forge, not from the delivery).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../../src/queue/store.js';
import type { Serving } from '../../../src/server/serve.js';
import { startForge, type Forge } from '../../../testbed/forge/server.js';
import { FakeClock } from '../../support/fake-clock.js';
import type { FakeExecutor } from '../../support/fake-executor.js';
import { serveOnForge } from '../../support/serve-on-forge.js';

const REPO = 'coop-cloud/custom-html';
const SECRET = 'hook-secret-for-the-push-tests';
const HOUR = 3_600_000;

let forge: Forge;
let serving: Serving;
let store: RunStore;
let executor: FakeExecutor;
let branch: string;
const clock = new FakeClock(new Date().toISOString());

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; ;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pushRuns = () => store.listRuns({ recipe: 'custom-html' }).filter((r) => r.trigger.kind === 'push');

/** A push to the default branch: a new commit there, and its head. */
async function push(marker: string): Promise<string> {
  return forge.control.commitOnBranch(REPO, branch, { 'marker.txt': `${marker}\n` }, `push ${marker}`);
}

/** Gitea's push delivery (modules/structs/hook.go PushPayload), signed as Gitea signs it. */
async function deliverPush(before: string, after: string): Promise<Response> {
  const body = JSON.stringify({
    ref: `refs/heads/${branch}`,
    before,
    after,
    compare_url: '',
    commits: [],
    total_commits: 1,
    repository: { full_name: REPO, default_branch: branch },
  });
  return fetch(`${serving.url}/hook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gitea-event': 'push',
      'x-gitea-event-type': 'push',
      'x-gitea-delivery': `d-${after.slice(0, 8)}`,
      'x-gitea-signature': createHmac('sha256', SECRET).update(body).digest('hex'),
    },
    body,
  });
}

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  const repo = (await (await fetch(`${forge.url}/api/v1/repos/${REPO}`)).json()) as { default_branch: string };
  branch = repo.default_branch;
  ({ store, executor, serving } = await serveOnForge({
    forge,
    prefix: 'cc-ci-serve-push-',
    clock,
    config: [
      // An hour between polls: only the test's clock.advance() makes the poller read the forge.
      `forge: {type: gitea, url: "${forge.url}", org: coop-cloud, repos: [${REPO}], pollInterval: 1h}`,
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      'runner: {capacity: 1}',
      'store: ./store',
      'dashboard: {listen: "127.0.0.1:0"}',
    ],
    env: { CCCI_WEBHOOK_SECRET: SECRET },
  }));
});

afterAll(async () => {
  await serving?.stop('the test is done');
  await forge?.close();
});

describe('serve with push runs', () => {
  it('enrolling a recipe that never had a default-branch run queues one run of its head, once', async () => {
    const head = (await forge.control.handle(REPO)).head;
    clock.advance(0);
    const first = await until('the first push run', () => executor.started[0]);
    expect(first.run).toMatchObject({ recipe: 'custom-html', ref: branch, sha: head, trigger: { kind: 'push' } });
    expect(first.run.pr).toBeUndefined();
    first.finish('pass');
    await until('the first run to end', () => store.getRun(first.run.id)?.state === 'passed');
    // The next poll sees the same head: nothing more.
    clock.advance(HOUR);
    await until('the second poll', () => store.getCursor(`comments:${REPO}`) !== undefined && executor.started);
    await new Promise((r) => setTimeout(r, 300));
    expect(pushRuns()).toHaveLength(1);
  });

  it('a push to the default branch, seen by the poller, queues exactly one run of the new head', async () => {
    const sha = await push('poll-one');
    clock.advance(HOUR);
    const run = await until('the run of the push', () => executor.started.find((e) => e.run.sha === sha));
    expect(run.run).toMatchObject({ ref: branch, trigger: { kind: 'push', forgeRepo: REPO } });
    run.finish('pass');
    await until('the run to end', () => store.getRun(run.run.id)?.state === 'passed');
    clock.advance(HOUR);
    await new Promise((r) => setTimeout(r, 500));
    // (A finished run's sha is what its results say: the fake executor's are made up.)
    expect(pushRuns().map((r) => r.id)).toEqual([run.run.id, executor.started[0]!.run.id]);
  });

  it('two quick pushes announced by webhook give one run of the newer; a replayed delivery runs nothing', async () => {
    // A run of another recipe holds the only place, so the push runs wait in the queue.
    const busy = serving.runs.enqueue({
      recipe: 'other',
      repo: 'file:///srv/other',
      ref: 'main',
      stages: [],
      keep: false,
      trigger: { kind: 'api' },
    });
    const holder = await until('the busy run', () => executor.started.find((e) => e.run.id === busy.id));
    const before = (await forge.control.handle(REPO)).head;
    // The stand-in delivers Gitea's push event, signed, for each commit on a branch.
    forge.control.createHook(REPO, {
      type: 'gitea',
      config: { url: `${serving.url}/hook`, content_type: 'json', secret: SECRET },
      events: ['push'],
      active: true,
    });
    const a = await push('hook-a');
    expect((await forge.control.flushDeliveries()).at(-1)).toMatchObject({ event: 'push', status: 202 });
    const runA = await until('the run of a', () => pushRuns().find((r) => r.sha === a));
    const b = await push('hook-b');
    expect((await forge.control.flushDeliveries()).at(-1)).toMatchObject({ event: 'push', status: 202 });
    const runB = await until('the run of b', () => pushRuns().find((r) => r.sha === b));
    await until('a superseded', () => store.getRun(runA.id)?.state === 'superseded');
    expect(store.getRun(runA.id)?.supersededBy).toBe(runB.id);
    // A late or replayed delivery of a: the forge's head is b, already seen.
    expect((await deliverPush(before, a)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    expect(pushRuns().filter((r) => r.state === 'queued')).toEqual([expect.objectContaining({ id: runB.id, sha: b })]);
    holder.finish('pass');
    const started = await until('b to start', () => executor.started.find((e) => e.run.id === runB.id));
    expect(started.run.sha).toBe(b);
    expect(pushRuns()).toHaveLength(4);
  });
});
