// The poller against a fake forge (Gitea's comments, read by src/forge/gitea/): the first poll
// marks history as seen; later polls hand new PR comments over once, from a cursor kept in the
// store across restarts; a comment the forge did not let us handle keeps the cursor before it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CcciError } from '../../../src/model/errors.js';
import { listedComments } from '../../../src/forge/gitea/comments.js';
import type { Comment } from '../../../src/forge/types.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import type { CommentOutcome, PrComment } from '../../../src/trigger/bridge.js';
import { Poller } from '../../../src/trigger/poller.js';

const log = createLogger({ secrets: new SecretRegistry(), console: false }).log;
const comment = (id: number, at: string, pr = 1, body = '!testme'): Comment => ({
  id,
  body,
  updated_at: at,
  created_at: at,
  user: { login: 'maintainer' },
  pull_request_url: pr ? `http://forge/coop-cloud/custom-html/pulls/${pr}` : '',
});

function world(file: string) {
  const all: Comment[] = [];
  const asked: Array<string | undefined> = [];
  const handled: PrComment[] = [];
  let outcome: CommentOutcome = 'queued';
  const store = new RunStore(file);
  const forge = {
    // Gitea's comments, read by the forge's own code as the poller gets them.
    commentsSince: async (_repo: string, since?: string) => {
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
  const poller = new Poller({ forge, store, bridge, repos: ['coop-cloud/custom-html'], intervalMs: 10, log });
  return {
    all,
    asked,
    handled,
    store,
    poller,
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
});
