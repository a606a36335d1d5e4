// The forge bridge against the stand-in forge (testbed/forge, real HTTP and git) with a run
// control that runs nothing: a `!testme` pins its run to the PR head it saw; a PR pushed to after
// the comment (the forge's `pull_push` events against the comment's time) runs nothing and gets a
// reply saying why; a push before the comment runs the new head; the reply and the commit status
// name the commit tested. No swarm.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import { giteaForge } from '../../../src/forge/gitea/gitea-forge.js';
import type { ForgeClient } from '../../../src/forge/types.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { ForgeBridge, type PrComment } from '../../../src/trigger/bridge.js';
import { startForge, type Forge } from '../../../testbed/forge/main.js';
import { DEMO_REPO as REPO } from '../../../testbed/forge/seed.js';
import { FakeRunControl } from '../../support/fake-run-control.js';

let forge: Forge;
let root: string;
let client: ForgeClient;
let store: RunStore;
let runs: FakeRunControl;
let bridge: ForgeBridge;
let config: Config;
let branches = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cc-ci-bridge-'));
  forge = await startForge({ seed: 'demo' });
  const token = forge.control.tokens()['cc-ci-bot']!;
  writeFileSync(
    join(root, 'cc-ci.yml'),
    [
      `forge: {type: gitea, url: ${forge.url}, org: coop-cloud, repos: [${REPO}]}`,
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      'store: ./store',
      'dashboard: {publicUrl: https://ci.example.org}',
    ].join('\n'),
  );
  config = loadConfig({
    path: join(root, 'cc-ci.yml'),
    env: { CCCI_FORGE_TOKEN: token },
    secrets: new SecretRegistry(),
  });
  client = giteaForge({ url: forge.url, token }).client;
  store = new RunStore(':memory:');
  runs = new FakeRunControl(store, config.store, { idPrefix: 'run' });
  bridge = new ForgeBridge({ config, store, runs, forge: client, log: pino({ level: 'silent' }) });
});

afterAll(async () => {
  bridge?.close();
  store?.close();
  await forge?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A new PR of its own branch by `maintainer`: its number and head. */
async function openPr(): Promise<{ pr: number; branch: string; head: string }> {
  const branch = `pin-${++branches}`;
  const head = await forge.control.commitOnBranch(REPO, branch, { 'marker.txt': `${branch}\n` }, `open ${branch}`);
  const pull = await forge.control.createPullRequest({ repo: REPO, head: branch, title: branch, author: 'maintainer' });
  return { pr: pull.number!, branch, head };
}

const push = (branch: string, text: string) =>
  forge.control.commitOnBranch(REPO, branch, { 'marker.txt': `${text}\n` }, text);

/** `!testme` by the maintainer, as the poller hands it over (with the forge's time of writing). */
function testme(pr: number): PrComment {
  const c = forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body: '!testme' });
  return { repo: REPO, pr, commentId: c.id!, body: c.body!, user: 'maintainer', createdAt: c.created_at! };
}

/** The bot's comments on a PR after the comment with id `after`. */
async function botReplies(pr: number, after: number): Promise<string[]> {
  return (await client.listComments(REPO, pr))
    .filter((c) => c.user?.login === 'cc-ci-bot' && c.id! > after)
    .map((c) => c.body ?? '');
}

describe('a !testme is pinned to the commit it saw', () => {
  it('a push between the comment and its handling: nothing runs, the reply says why and asks again', async () => {
    const { pr, branch } = await openPr();
    const comment = testme(pr);
    forge.control.advanceClock(1000);
    const pushed = await push(branch, 'pushed after the !testme');
    const before = runs.enqueued.length;

    expect(await bridge.handle(comment)).toBe('moved');
    expect(runs.enqueued).toHaveLength(before);
    expect(store.commentOutcome(comment.commentId)).toEqual({ outcome: 'moved' });
    const replies = await botReplies(pr, comment.commentId);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/^@maintainer this pull request was pushed to after your `!testme` \(at \S+Z\)/);
    expect(replies[0]).toContain('nothing was started');
    expect(replies[0]).toContain(`\`${pushed.slice(0, 8)}\``);
    expect(replies[0]).toContain('comment `!testme` again');
  });

  it('a push in the same second as the comment counts as after it (the forge keeps whole seconds)', async () => {
    const { pr, branch } = await openPr();
    forge.control.advanceClock(1000);
    const comment = testme(pr);
    await push(branch, 'pushed in the same second');
    expect(await bridge.handle(comment)).toBe('moved');
  });

  it('a push before the comment: the new head runs, pinned; the reply and the status name it', async () => {
    const { pr, branch, head: first } = await openPr();
    const pushed = await push(branch, 'pushed before the !testme');
    forge.control.advanceClock(1000);
    const comment = testme(pr);

    expect(await bridge.handle(comment)).toBe('queued');
    const req = runs.enqueued.at(-1)!;
    expect(req).toMatchObject({ ref: `refs/pull/${pr}/head`, sha: pushed, pr });
    expect(req.sha).not.toBe(first);
    const runId = store.commentOutcome(comment.commentId)!.runId!;
    expect(store.getRun(runId)).toMatchObject({ state: 'queued', sha: pushed });
    await bridge.settled();
    const [reply] = await botReplies(pr, comment.commentId);
    expect(reply).toContain(`at \`${pushed.slice(0, 8)}\``);
    expect((await client.listStatuses(REPO, pushed))[0]).toMatchObject({ status: 'pending', context: 'cc-ci' });

    // A push after the run was queued changes nothing: the verdict goes on the commit approved.
    const later = await push(branch, 'pushed while queued');
    runs.finish(runId, { state: 'passed', verdict: 'pass', level: 5, sha: pushed });
    await bridge.settled();
    expect((await client.listStatuses(REPO, pushed))[0]).toMatchObject({ status: 'success' });
    expect(await client.listStatuses(REPO, later)).toEqual([]);
    const [final] = await botReplies(pr, comment.commentId);
    expect(final).toContain(`at \`${pushed.slice(0, 8)}\``);
    expect(final).not.toContain(later.slice(0, 8));
  });
});

describe('the final status', () => {
  it('is tried again on its own when the forge fails it at the end of the run (no next change)', async () => {
    const failing = { left: 2 };
    const flaky: ForgeClient = {
      ...client,
      setStatus: async (repo, sha, status) => {
        if (status.state !== 'pending' && failing.left-- > 0) throw new Error('the forge answered 502');
        return client.setStatus(repo, sha, status);
      },
    };
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    // A store and runs of its own: the other bridge must not bring this run's status along.
    const store = new RunStore(':memory:');
    const runs = new FakeRunControl(store, config.store, { idPrefix: 'retry' });
    const own = new ForgeBridge({ config, store, runs, forge: flaky, log, finalRetryMs: 50 });
    try {
      const { pr, head } = await openPr();
      forge.control.advanceClock(1000);
      const comment = testme(pr);
      expect(await own.handle(comment)).toBe('queued');
      const runId = store.commentOutcome(comment.commentId)!.runId!;
      await own.settled();
      runs.finish(runId, { state: 'failed', verdict: 'fail', level: 1, sha: head });
      await waitFor(async () => store.getReply(runId)?.finalStatus === 'failure');
      expect((await client.listStatuses(REPO, head))[0]).toMatchObject({ status: 'failure' });
      expect(lines.join('')).toContain('it is tried again in 0 s (try 1 of 5)');
      expect(lines.join('')).toContain('(try 2 of 5)');
      expect(failing.left).toBeLessThan(0);
    } finally {
      own.close();
      store.close();
    }
  });
});

async function waitFor(ok: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
