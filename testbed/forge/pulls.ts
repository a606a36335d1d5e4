// Pull requests and their refs. Gitea keeps `refs/pull/<index>/head` at the head commit of every
// open PR and moves it when the head branch moves (services/pull: AddTestPullRequestTask →
// UpdateRef on push); PullRequest.head.sha is the head branch's tip while the branch exists,
// else the commit of refs/pull/<index>/head, and head.ref is then "refs/pull/<index>/head"
// (services/convert/pull.go). Branches moved behind the stand-in's back (commitOnBranch on the
// bare repository) are picked up by syncPullRefs, which every PR read and every clone calls.
// Each move is a `pull_push` event on the PR's timeline, as Gitea's CreatePushPullComment writes
// it (services/pull/comment.go): a force push names [old, new]; a fast-forward names the new
// commits, oldest first, without those already on the base branch; no new commit, no event.
import type { ForgeCore } from './core.js';
import { git, listRefs, mergeBase, updateRefs } from './git.js';
import type { IssueRec, RepoRec, UserRec } from './types.js';

export class ForgeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function pullRef(index: number): string {
  return `refs/pull/${index}/head`;
}

/** Bring refs/pull/<n>/head of the open PRs up to their branches; returns the repository's refs. */
export async function syncPullRefs(core: ForgeCore, repo: RepoRec): Promise<Map<string, string>> {
  return core.withRepoLock(repo.id, async () => {
    const refs = await listRefs(repo.dir);
    const moved: IssueRec[] = [];
    for (const issue of core.store.issuesOf(repo.id)) {
      const pr = issue.pull;
      if (!pr || issue.closed || pr.merged) continue;
      const tip = refs.get(`refs/heads/${pr.headBranch}`);
      if (tip && tip !== refs.get(pullRef(issue.index))) moved.push(issue);
    }
    if (moved.length === 0) return refs;
    const updates: [string, string][] = [];
    for (const issue of moved) {
      const pr = issue.pull!;
      const tip = refs.get(`refs/heads/${pr.headBranch}`)!;
      await recordPush(core, repo, issue, pr.headCommit, tip);
      updates.push([pullRef(issue.index), tip]);
      refs.set(pullRef(issue.index), tip);
      pr.headCommit = tip;
      const base = refs.get(`refs/heads/${pr.baseBranch}`);
      if (base) pr.mergeBase = await mergeBase(repo.dir, base, tip);
      issue.updatedUnix = core.store.clock.unix();
    }
    await updateRefs(repo.dir, updates);
    return refs;
  });
}

/** The PR's head moved from `from` to `to`: a `pull_push` timeline event, when Gitea would write one. */
async function recordPush(core: ForgeCore, repo: RepoRec, issue: IssueRec, from: string, to: string): Promise<void> {
  const fastForward = await git(repo.dir, ['merge-base', '--is-ancestor', from, to]).then(
    () => true,
    () => false,
  );
  let commitIds = [from, to];
  if (fastForward) {
    const base = `refs/heads/${issue.pull?.baseBranch ?? repo.defaultBranch}`;
    const out = await git(repo.dir, ['rev-list', '--reverse', to, `^${from}`, `^${base}`, '--']).catch(() => '');
    commitIds = out.split('\n').filter(Boolean);
    if (commitIds.length === 0) return;
  }
  const id = core.store.nextId('comment');
  core.store.pushes.set(id, {
    id,
    issueId: issue.id,
    pusherId: issue.posterId,
    isForcePush: !fastForward,
    commitIds,
    createdUnix: core.store.clock.unix(),
  });
}

export interface NewPull {
  head: string;
  base?: string;
  title: string;
  body?: string;
}

/** Open a PR from branch `head` into `base` (default: the default branch), as `author`. */
export async function createPull(
  core: ForgeCore,
  repo: RepoRec,
  author: UserRec,
  opts: NewPull,
): Promise<{ issue: IssueRec; refs: Map<string, string> }> {
  const { issues, refs } = await createPulls(core, repo, author, [opts]);
  const issue = issues[0];
  if (!issue) throw new Error('createPulls returned nothing');
  return { issue, refs };
}

/** Open several PRs at once (one ref read, one ref transaction): cheap for paging tests. */
export async function createPulls(
  core: ForgeCore,
  repo: RepoRec,
  author: UserRec,
  list: NewPull[],
): Promise<{ issues: IssueRec[]; refs: Map<string, string> }> {
  const { store } = core;
  return core.withRepoLock(repo.id, async () => {
    const refs = await listRefs(repo.dir);
    const open = new Set(
      store
        .issuesOf(repo.id)
        .flatMap((i) => (i.pull && !i.closed && !i.pull.merged ? [`${i.pull.headBranch}\0${i.pull.baseBranch}`] : [])),
    );
    const planned: { opts: NewPull; base: string; headSha: string; baseSha: string }[] = [];
    for (const opts of list) {
      const base = opts.base ?? repo.defaultBranch;
      if (opts.head === base)
        throw new ForgeError(422, 'Invalid PullRequest: There are no changes between the head and the base');
      const key = `${opts.head}\0${base}`;
      if (open.has(key))
        throw new ForgeError(
          409,
          `pull request already exists for these targets [head_branch: ${opts.head}, base_branch: ${base}]`,
        );
      open.add(key);
      const headSha = refs.get(`refs/heads/${opts.head}`);
      const baseSha = refs.get(`refs/heads/${base}`);
      if (!headSha || !baseSha) throw new ForgeError(404, `branch ${!headSha ? opts.head : base} does not exist`);
      planned.push({ opts, base, headSha, baseSha });
    }
    const now = store.clock.unix();
    const issues: IssueRec[] = [];
    for (const p of planned) {
      const issue: IssueRec = {
        id: store.nextId('issue'),
        repoId: repo.id,
        index: repo.nextIndex++,
        posterId: author.id,
        title: p.opts.title,
        body: p.opts.body ?? '',
        closed: false,
        closedUnix: 0,
        createdUnix: now,
        updatedUnix: now,
        pull: {
          id: store.nextId('pull'),
          headBranch: p.opts.head,
          baseBranch: p.base,
          headCommit: p.headSha,
          mergeBase: await mergeBase(repo.dir, p.baseSha, p.headSha),
          merged: false,
          mergedUnix: 0,
        },
      };
      issues.push(issue);
    }
    await updateRefs(
      repo.dir,
      issues.map((i) => [pullRef(i.index), i.pull?.headCommit ?? '']),
    );
    for (const issue of issues) {
      store.issues.set(issue.id, issue);
      refs.set(pullRef(issue.index), issue.pull?.headCommit ?? '');
    }
    return { issues, refs };
  });
}

/** Open a plain issue (shares the index counter with PRs). */
export function createIssue(core: ForgeCore, repo: RepoRec, author: UserRec, title: string, body = ''): IssueRec {
  const now = core.store.clock.unix();
  const issue: IssueRec = {
    id: core.store.nextId('issue'),
    repoId: repo.id,
    index: repo.nextIndex++,
    posterId: author.id,
    title,
    body,
    closed: false,
    closedUnix: 0,
    createdUnix: now,
    updatedUnix: now,
    pull: null,
  };
  core.store.issues.set(issue.id, issue);
  return issue;
}

export function setIssueState(core: ForgeCore, issue: IssueRec, state: 'open' | 'closed'): void {
  const now = core.store.clock.unix();
  issue.closed = state === 'closed';
  issue.closedUnix = issue.closed ? now : 0;
  issue.updatedUnix = now;
}
