// Commit statuses, routers/api/v1/repo/status.go (Gitea 1.2x).
// - POST /statuses/{sha}: reqToken + reqRepoWriter (403), body CreateStatusOption {state,
//   target_url, description, context} (trimmed), 201 with the status (`status`, not `state`).
//   A `state` outside pending/success/error/failure/warning is 422 here (guess: Gitea is not
//   known to check it). A sha that names no commit fails in CreateCommitStatus → 500.
// - GET /statuses/{sha} and /commits/{ref}/statuses: paginated (Link + X-Total-Count), `sort`
//   (default newest first), `state` filter.
// - GET /commits/{ref}/status: ref = branch, tag or (short) sha; the latest status per context
//   (newest first, paginated), combined state = the worst; nothing → 200 with an empty
//   CombinedStatus ({"state":"","sha":"",…,"statuses":null}).
import type { ApiCtx, Route } from '../route.js';
import { resolveCommit } from '../git.js';
import { listOptions, pageOf, setLinkHeader, setTotalCount } from '../paging.js';
import { COMMIT_STATES, EMPTY_COMBINED_STATUS, toCombinedStatus, toCommitStatus } from '../to-status.js';
import type { CommitState, StatusRec } from '../types.js';
import { str } from '../body.js';
import { formOf, loadRepo, needToken, needWriter, type RepoCtx } from './common.js';

/** utils.ResolveRefOrSha / MustConvertToSHA1: branch, tag, then a (short) sha; else as given. */
async function resolveRef(rc: RepoCtx, ref: string): Promise<string> {
  for (const prefix of ['refs/heads/', 'refs/tags/']) {
    const sha = await resolveCommit(rc.repo.dir, prefix + ref);
    if (sha) return sha;
  }
  if (/^[0-9a-f]{4,40}$/i.test(ref)) return (await resolveCommit(rc.repo.dir, ref)) ?? ref;
  return ref;
}

function sortStatuses(list: StatusRec[], sort: string): StatusRec[] {
  const cmp: Record<string, (a: StatusRec, b: StatusRec) => number> = {
    oldest: (a, b) => a.createdUnix - b.createdUnix || a.rowId - b.rowId,
    recentupdate: (a, b) => b.createdUnix - a.createdUnix || b.rowId - a.rowId,
    leastupdate: (a, b) => a.createdUnix - b.createdUnix || a.rowId - b.rowId,
    leastindex: (a, b) => b.index - a.index,
    highestindex: (a, b) => a.index - b.index,
  };
  return [...list].sort(cmp[sort] ?? ((a, b) => b.createdUnix - a.createdUnix || b.rowId - a.rowId));
}

function listStatuses(ctx: ApiCtx, rc: RepoCtx, sha: string): void {
  const state = ctx.query.get('state')?.trim() ?? '';
  const all = ctx.core.store.statuses.filter(
    (s) => s.repoId === rc.repo.id && s.sha === sha && (!state || s.state === state),
  );
  const opts = listOptions(ctx.query);
  const shown = pageOf(sortStatuses(all, ctx.query.get('sort')?.trim() ?? ''), opts);
  setLinkHeader(ctx.reply, ctx.core.appUrl, ctx.requestUrl, all.length, opts);
  setTotalCount(ctx.reply, all.length);
  ctx.reply.json(
    200,
    shown.map((s) => toCommitStatus(ctx.core, rc.repo, s)),
  );
}

export const statusRoutes: Route[] = [
  {
    method: 'POST',
    path: '/repos/:owner/:repo/statuses/:sha',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc || !needToken(ctx) || !needWriter(ctx, rc)) return;
      const form = await formOf(ctx);
      if (!form) return;
      const state = str(form.state);
      if (!(COMMIT_STATES as readonly string[]).includes(state)) {
        return ctx.reply.error(
          422,
          `invalid state ${JSON.stringify(state)}: must be one of ${COMMIT_STATES.join(', ')}`,
        );
      }
      const given = ctx.params.sha ?? '';
      const sha = /^[0-9a-f]{4,40}$/i.test(given) ? await resolveCommit(rc.repo.dir, given) : undefined;
      if (!sha) return ctx.reply.error(500, `GetCommit[${given}]: object does not exist`);
      const { store } = ctx.core;
      const status: StatusRec = {
        rowId: store.nextId('status'),
        index: store.statuses.filter((s) => s.repoId === rc.repo.id && s.sha === sha).length + 1,
        repoId: rc.repo.id,
        sha,
        state: state as CommitState,
        targetUrl: str(form.target_url).trim(),
        description: str(form.description).trim(),
        context: str(form.context).trim(),
        creatorId: ctx.doer.id,
        createdUnix: store.clock.unix(),
      };
      store.statuses.push(status);
      ctx.reply.json(201, toCommitStatus(ctx.core, rc.repo, status));
    },
  },
  {
    method: 'GET',
    path: '/repos/:owner/:repo/statuses/:sha',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const given = ctx.params.sha ?? '';
      if (!given) return ctx.reply.error(400, 'ref/sha not given');
      const sha = /^[0-9a-f]{4,40}$/i.test(given) ? ((await resolveCommit(rc.repo.dir, given)) ?? given) : given;
      listStatuses(ctx, rc, sha);
    },
  },
  {
    method: 'GET',
    path: '/repos/:owner/:repo/commits/:ref/statuses',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (rc) listStatuses(ctx, rc, await resolveRef(rc, ctx.params.ref ?? ''));
    },
  },
  {
    method: 'GET',
    path: '/repos/:owner/:repo/commits/:ref/status',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const sha = await resolveRef(rc, ctx.params.ref ?? '');
      const newestPerContext = new Map<string, StatusRec>();
      for (const s of ctx.core.store.statuses) {
        if (s.repoId !== rc.repo.id || s.sha !== sha) continue;
        const seen = newestPerContext.get(s.context);
        if (!seen || s.rowId > seen.rowId) newestPerContext.set(s.context, s);
      }
      const latest = [...newestPerContext.values()].sort((a, b) => b.rowId - a.rowId);
      const shown = pageOf(latest, listOptions(ctx.query));
      if (shown.length === 0) return ctx.reply.json(200, EMPTY_COMBINED_STATUS);
      setTotalCount(ctx.reply, latest.length);
      ctx.reply.json(200, toCombinedStatus(ctx.core, rc.repo, sha, shown, rc.mode));
    },
  },
];
