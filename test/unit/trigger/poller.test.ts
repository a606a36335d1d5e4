// The poller against a fake forge (Gitea's comments, read by src/forge/gitea/): the first poll
// marks history as seen; later polls hand new PR comments over once, from a cursor kept in the
// store across restarts; a comment the forge did not let us handle keeps the cursor before it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Enrolment } from '../../../src/config/enrolment.js';
import { CcciError } from '../../../src/model/errors.js';
import { listedComments } from '../../../src/forge/gitea/comments.js';
import type { Comment } from '../../../src/forge/types.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import type { CommentOutcome, PrComment } from '../../../src/trigger/bridge.js';
import { Poller } from '../../../src/trigger/poller.js';
import { FakeClock } from '../../support/fake-clock.js';

const log = createLogger({ secrets: new SecretRegistry(), console: false }).log;
const comment = (id: number, at: string, pr = 1, body = '!testme'): Comment => ({
  id,
  body,
  updated_at: at,
  created_at: at,
  user: { login: 'maintainer' },
  pull_request_url: pr ? `http://forge/coop-cloud/custom-html/pulls/${pr}` : '',
});

function world(file: string, opts: { repos?: string[]; refused?: string[]; clock?: FakeClock } = {}) {
  const all: Comment[] = [];
  const asked: Array<string | undefined> = [];
  const askedRepos: string[] = [];
  const handled: PrComment[] = [];
  let outcome: CommentOutcome = 'queued';
  const store = new RunStore(file);
  const forge = {
    // Gitea's comments, read by the forge's own code as the poller gets them.
    commentsSince: async (repo: string, since?: string) => {
      askedRepos.push(repo);
      if (opts.refused?.includes(repo))
        throw new CcciError('FORGE_REFUSED', `GET /api/v1/repos/${repo}/issues/comments: refused with 404 Not Found`);
      asked.push(since);
      // Gitea compares `since` with the updated time, inclusive.
      return listedComments(all.filter((c) => !since || Date.parse(c.updated_at!) >= Date.parse(since)));
    },
  };
  const bridge = {
    handle: async (c: PrComment) => {
      if (!store.claimComment(c.commentId, c.repo, c.pr)) return 'duplicate' as const;
      if (outcome === 'retry') {
        store.unclaimComment(c.commentId);
        return 'retry' as const;
      }
      handled.push(c);
      return outcome;
    },
  };
  const repos = new Enrolment(opts.repos ?? ['coop-cloud/custom-html']);
  const poller = new Poller({ forge, store, bridge, repos, intervalMs: 10, log, clock: opts.clock });
  return {
    all,
    asked,
    askedRepos,
    handled,
    store,
    poller,
    repos,
    fail: (o: CommentOutcome) => {
      outcome = o;
    },
  };
}

describe('poller', () => {
  it('marks what is there at the first poll as seen, then hands new PR comments over once', async () => {
    const w = world(':memory:');
    w.all.push(comment(1, '2026-11-30T10:00:00Z'), comment(2, '2026-11-30T10:00:05Z'));
    await w.poller.pollOnce();
    expect(w.handled).toEqual([]);
    w.all.push(
      comment(3, '2026-11-30T10:00:05Z'),
      comment(4, '2026-11-30T10:01:00Z', 0),
      comment(5, '2026-11-30T10:02:00Z', 7, 'hi'),
    );
    await w.poller.pollOnce();
    await w.poller.pollOnce();
    // With the forge's time of writing: the bridge compares the PR's pushes with it.
    expect(w.handled.map((c) => [c.commentId, c.pr, c.body, c.createdAt])).toEqual([
      [3, 1, '!testme', '2026-11-30T10:00:05Z'],
      [5, 7, 'hi', '2026-11-30T10:02:00Z'],
    ]);
    expect(w.asked.at(-1)).toBe('2026-11-30T10:02:00.000Z');
  });

  it('keeps the cursor across a restart: a comment written while down is handled once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cc-ci-poll-')), 'cc-ci.db');
    const first = world(file);
    first.all.push(comment(1, '2026-11-30T10:00:00Z'));
    await first.poller.pollOnce();
    first.store.close();
    const again = world(file);
    again.all.push(comment(1, '2026-11-30T10:00:00Z'), comment(2, '2026-11-30T10:05:00Z'));
    await again.poller.pollOnce();
    await again.poller.pollOnce();
    expect(again.handled.map((c) => c.commentId)).toEqual([2]);
  });

  it('stops before a comment the forge did not let us handle, and hands it over when it answers', async () => {
    const w = world(':memory:');
    await w.poller.pollOnce();
    w.all.push(comment(10, '2026-11-30T11:00:00Z'));
    w.fail('retry');
    await expect(w.poller.pollOnce()).rejects.toBeInstanceOf(CcciError);
    expect(w.store.commentOutcome(10)).toBeUndefined();
    w.fail('queued');
    await w.poller.pollOnce();
    expect(w.handled.map((c) => c.commentId)).toEqual([10]);
  });

  it('polls each repository on its own: one the forge refuses is shown and backs off, the others go on', async () => {
    const clock = new FakeClock();
    const gone = 'coop-cloud/gone';
    const w = world(':memory:', { repos: [gone, 'coop-cloud/custom-html'], refused: [gone], clock });
    const settle = () => new Promise((r) => setTimeout(r, 20));
    w.poller.start();
    clock.advance(0);
    await settle();
    w.all.push(comment(20, '2026-11-30T12:00:00Z'));
    // The refused repository is listed first; the one after it is polled all the same.
    clock.advance(10);
    await settle();
    expect(w.handled.map((c) => c.commentId)).toEqual([20]);
    const [bad, good] = w.poller.health();
    expect(good).toMatchObject({ repo: 'coop-cloud/custom-html', ok: true, failures: 0 });
    // When a poll last answered: what the demo waits for before it comments (the first poll is history).
    expect(good!.lastPolledAt).toBe(clock.now().toISOString());
    expect(bad!.lastPolledAt).toBeUndefined();
    expect(bad).toMatchObject({ repo: gone, ok: false, failures: 1, error: { code: 'FORGE_REFUSED' } });
    expect(bad!.error!.message).toContain('404');
    expect(bad!.fix).toContain(`check ${gone} in forge.repos`);
    // Its own pause: 2 × the interval after one failure, 4 × after two; the good one stays at 1 ×.
    const polls = (repo: string) => w.askedRepos.filter((r) => r === repo).length;
    expect([polls(gone), polls('coop-cloud/custom-html')]).toEqual([1, 2]);
    for (let i = 0; i < 6; i++) {
      clock.advance(10);
      await settle();
    }
    expect([polls(gone), polls('coop-cloud/custom-html')]).toEqual([3, 8]);
    await w.poller.stop();
  });

  it('polls a repository that comes into the enrolment at once, and drops one that leaves', async () => {
    const clock = new FakeClock();
    const w = world(':memory:', { repos: ['coop-cloud/custom-html'], clock });
    const settle = () => new Promise((r) => setTimeout(r, 20));
    w.poller.start();
    clock.advance(0);
    await settle();
    expect(w.askedRepos).toEqual(['coop-cloud/custom-html']);
    // The poller sleeps its interval (10 ms); the new repository is polled without waiting for it.
    w.repos.configure(['coop-cloud/custom-html'], ['coop-cloud']);
    w.repos.discovered('coop-cloud', ['coop-cloud/keycloak']);
    clock.advance(0);
    await settle();
    expect(w.askedRepos).toEqual(['coop-cloud/custom-html', 'coop-cloud/keycloak']);
    expect(w.poller.health().map((h) => h.repo)).toEqual(['coop-cloud/custom-html', 'coop-cloud/keycloak']);
    // Left the enrolment: never polled again, and gone from /healthz.
    w.repos.configure([], ['coop-cloud']);
    for (let i = 0; i < 3; i++) {
      clock.advance(10);
      await settle();
    }
    expect(w.askedRepos.slice(2).every((r) => r === 'coop-cloud/keycloak')).toBe(true);
    expect(w.askedRepos.length).toBeGreaterThanOrEqual(4);
    expect(w.poller.health().map((h) => h.repo)).toEqual(['coop-cloud/keycloak']);
    await w.poller.stop();
  });
});
