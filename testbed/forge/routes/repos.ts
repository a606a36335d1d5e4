// GET /repos/{o}/{r}, the pull list and one pull, one issue. routers/api/v1/repo/repo.go Get,
// pull.go ListPullRequests/GetPullRequest, issue.go GetIssue. The pull list filters on `state`
// only for "open" or "closed": no state (or "all", or anything else) lists every PR, whatever
// the swagger's "default: open" says (models/issues/pull_list.go listPullRequestStatement).
// Default order: newest first (created desc, id desc); `sort` oldest/recentupdate/leastupdate.
import type { Route } from '../route.js';
import { listOptions, pageOf, setLinkHeader, setTotalCount } from '../paging.js';
import { syncPullRefs } from '../pulls.js';
import { toIssue } from '../to-issue.js';
import { toPull } from '../to-pull.js';
import { toRepo } from '../to-repo.js';
import type { IssueRec } from '../types.js';
import { loadRepo, pathInt } from './common.js';

function sortPulls(list: IssueRec[], sort: string): IssueRec[] {
  const by = {
    oldest: (a: IssueRec, b: IssueRec) => a.createdUnix - b.createdUnix || a.id - b.id,
    recentupdate: (a: IssueRec, b: IssueRec) =>
      b.updatedUnix - a.updatedUnix || b.createdUnix - a.createdUnix || b.id - a.id,
    leastupdate: (a: IssueRec, b: IssueRec) =>
      a.updatedUnix - b.updatedUnix || a.createdUnix - b.createdUnix || a.id - b.id,
  }[sort];
  return [...list].sort(by ?? ((a, b) => b.createdUnix - a.createdUnix || b.id - a.id));
}

export const repoRoutes: Route[] = [
  {
    method: 'GET',
    path: '/repos/:owner/:repo',
    handler: (ctx) => {
      const rc = loadRepo(ctx);
      if (rc) ctx.reply.json(200, toRepo(ctx.core, rc.repo, rc.mode));
    },
  },
  {
    method: 'GET',
    path: '/repos/:owner/:repo/pulls',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const refs = await syncPullRefs(ctx.core, rc.repo);
      const state = ctx.query.get('state')?.trim() ?? '';
      const poster = ctx.query.get('poster') ?? '';
      let posterId = 0;
      if (poster) {
        const u = ctx.core.store.userByLogin(poster);
        if (!u) return ctx.reply.error(400, `user does not exist [uid: 0, name: ${poster}]`);
        posterId = u.id;
      }
      const baseBranch = ctx.query.get('base_branch')?.trim() ?? '';
      const all = ctx.core.store
        .issuesOf(rc.repo.id)
        .filter((i) => i.pull)
        .filter((i) => (state === 'open' ? !i.closed : state === 'closed' ? i.closed : true))
        .filter((i) => !posterId || i.posterId === posterId)
        .filter((i) => !baseBranch || i.pull?.baseBranch === baseBranch);
      const opts = listOptions(ctx.query);
      const page = pageOf(sortPulls(all, ctx.query.get('sort')?.trim() ?? ''), opts);
      const body = [];
      for (const issue of page) body.push(await toPull(ctx.core, rc.repo, issue, refs, ctx.doer, rc.mode));
      setLinkHeader(ctx.reply, ctx.core.appUrl, ctx.requestUrl, all.length, opts);
      setTotalCount(ctx.reply, all.length);
      ctx.reply.json(200, body);
    },
  },
  {
    method: 'GET',
    path: '/repos/:owner/:repo/pulls/:index',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const issue = ctx.core.store.issueByIndex(rc.repo.id, pathInt(ctx, 'index'));
      if (!issue?.pull) return ctx.reply.notFound();
      const refs = await syncPullRefs(ctx.core, rc.repo);
      ctx.reply.json(200, await toPull(ctx.core, rc.repo, issue, refs, ctx.doer, rc.mode));
    },
  },
  {
    method: 'GET',
    path: '/repos/:owner/:repo/issues/:index',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const issue = ctx.core.store.issueByIndex(rc.repo.id, pathInt(ctx, 'index'));
      if (!issue) return ctx.reply.notFound();
      ctx.reply.json(200, toIssue(ctx.core, rc.repo, issue, ctx.doer));
    },
  },
];
