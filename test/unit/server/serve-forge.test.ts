// serve with the forge loop against the Gitea-compatible stand-in (testbed/forge/), a fake
// executor and a clock moved by hand: an enrolled repository the forge answers 404 for, listed
// first, does not stop `!testme` on the others, and /healthz and the overview name it with what
// the forge said and what to do; a signed webhook delivery of an old comment (a replay) starts
// nothing and is logged with its delivery id, and the poller still picks the comment up; a fresh
// one starts a run and its delivery id is kept with the comment.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../../src/queue/store.js';
import type { Serving } from '../../../src/server/serve.js';
import { startForge, type Forge } from '../../../testbed/forge/server.js';
import { FakeClock } from '../../support/fake-clock.js';
import type { FakeExecutor } from '../../support/fake-executor.js';
import { serveOnForge } from '../../support/serve-on-forge.js';

const REPO = 'coop-cloud/custom-html';
const GONE = 'coop-cloud/gone';
const SECRET = 'hook-secret-for-the-forge-serve-tests';
const HOUR = 3_600_000;

let forge: Forge;
let serving: Serving;
let store: RunStore;
let executor: FakeExecutor;
const clock = new FakeClock(new Date().toISOString());
const lines: Array<Record<string, unknown>> = [];

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; ;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  ({ store, executor, serving } = await serveOnForge({
    forge,
    prefix: 'cc-ci-serve-forge-',
    clock,
    config: [
      // An hour between polls: only the test's clock.advance() makes the poller read the forge.
      // pushRuns off: this file follows !testme (push runs: serve-push.test.ts).
      `forge: {type: gitea, url: "${forge.url}", org: coop-cloud, repos: [${GONE}, ${REPO}], pollInterval: 1h, ` +
        'pushRuns: false}',
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      'store: ./store',
      'dashboard: {listen: "127.0.0.1:0"}',
    ],
    env: { CCCI_WEBHOOK_SECRET: SECRET },
    log: pino({ level: 'info', base: undefined }, { write: (line: string) => lines.push(JSON.parse(line)) }),
  }));
  // The first poll of each repository: the 404 one fails, the other marks its history as seen.
  clock.advance(0);
  await until('the first poll', () => store.getCursor(`comments:${REPO}`));
});

afterAll(async () => {
  await serving?.stop('the test is done');
  await forge?.close();
});

describe('serve and the forge', () => {
  it('a repository the forge answers 404 for, listed first, does not stop !testme on the others', async () => {
    const comment = forge.control.comment({ repo: REPO, index: 1, author: 'maintainer', body: '!testme --quick' });
    clock.advance(HOUR);
    const run = await until('the run of the !testme', () => executor.started[0]);
    expect(run.run).toMatchObject({ recipe: 'custom-html', pr: 1 });
    expect(store.commentOutcome(comment.id!)).toMatchObject({ outcome: 'queued' });

    const health = (await (await fetch(`${serving.url}/healthz`)).json()) as {
      status: string;
      forge: { failing: Array<{ repo: string; code: string; message: string; fix: string }> };
    };
    expect(health.status).toBe('degraded');
    expect(health.forge.failing).toHaveLength(1);
    expect(health.forge.failing[0]).toMatchObject({ repo: GONE, code: 'FORGE_REFUSED' });
    expect(health.forge.failing[0]!.message).toContain('404');
    expect(health.forge.failing[0]!.fix).toContain(`check ${GONE} in forge.repos`);

    const overview = await (await fetch(`${serving.url}/`)).text();
    expect(overview).toContain(`!testme on ${GONE} is not seen`);
    expect(overview).toContain('404 Not Found');
    expect(overview).toContain(`check ${GONE} in forge.repos`);
    expect(overview).not.toContain(`!testme on ${REPO} is not seen`);
    expect(lines.some((l) => String(l.msg).startsWith(`polling ${GONE} failed`))).toBe(true);
    executor.started[0]!.finish('pass');
  });

  it('a fresh delivery runs and keeps its id; an old one starts nothing, is logged, and is polled later', async () => {
    await until('the first run to end', () => store.getRun(executor.started[0]!.run.id)?.state === 'passed');
    // The stand-in's clock keeps up with cc-ci's (moved an hour on above).
    forge.control.advanceClock(clock.now().getTime() - Date.now());
    forge.control.createHook(REPO, {
      type: 'gitea',
      config: { url: `${serving.url}/hook`, content_type: 'json', secret: SECRET },
      events: ['pull_request_comment'],
      active: true,
    });
    const fresh = forge.control.comment({ repo: REPO, index: 1, author: 'maintainer', body: '!testme --quick' });
    const accepted = (await forge.control.flushDeliveries()).at(-1)!;
    expect(accepted.status).toBe(202);
    await until('the run of the delivery', () => executor.started[1]);
    expect(store.commentOutcome(fresh.id!)).toMatchObject({ outcome: 'queued', deliveryId: accepted.uuid });
    executor.started[1]!.finish('pass');

    // cc-ci's clock moves ten minutes past the next comment: its delivery is as old as a replay.
    clock.advance(10 * 60_000);
    const comment = forge.control.comment({ repo: REPO, index: 1, author: 'maintainer', body: '!testme' });
    const delivery = (await forge.control.flushDeliveries()).at(-1)!;
    expect(delivery.status).toBe(200);
    expect(delivery.responseBody).toContain('forge.webhookMaxAge');
    const logged = lines.find((l) => String(l.msg).startsWith(`webhook delivery ${delivery.uuid} `));
    expect(logged?.msg).toContain('ignored');
    expect(logged).toMatchObject({ delivery: delivery.uuid, commentId: comment.id });
    await new Promise((r) => setTimeout(r, 200));
    expect(store.commentOutcome(comment.id!)).toBeUndefined();
    expect(executor.started).toHaveLength(2);

    // The webhook is a fast path only: the next poll reads the comment and runs it.
    clock.advance(HOUR);
    const run = await until('the polled run', () => executor.started[2]);
    expect(run.run).toMatchObject({ recipe: 'custom-html', pr: 1 });
    expect(store.commentOutcome(comment.id!)).toMatchObject({ outcome: 'queued' });
  });
});
