// Comments: routers/api/v1/repo/issue_comment.go (Gitea 1.2x).
// - GET …/issues/{n}/comments: every comment of the issue (no page/limit), `since`/`before`
//   on the *updated* time (inclusive, whole seconds), X-Total-Count, no Link. An unknown issue
//   number is a 500 there (GetIssueByIndex's error goes to ctx.Error 500), not a 404.
// - GET …/issues/comments: the repository's comments, `since`/`before`; paginated only when
//   `page` is given (FindComments: `if opts.Page != 0`), X-Total-Count, no Link.
// - POST …/issues/{n}/comments: reqToken, 201, `body` required (422 "[Body]: Required").
// - GET/PATCH …/issues/comments/{id}: 404 for an unknown id; 404 with no body when the comment
//   belongs to another repository; PATCH only by the poster or a repository writer, otherwise
//   403 with an empty body; 200 with the comment (unchanged body: nothing updated).
import type { ApiCtx, Route } from '../route.js';
import { editComment, createComment } from '../comments.js';
import { listOptions, pageOf, setTotalCount } from '../paging.js';
import { atLeast } from '../access.js';
import { toComment } from '../to-issue.js';
import type { CommentRec } from '../types.js';
import { beforeSince, formOf, loadRepo, needToken, pathInt, type RepoCtx } from './common.js';
import { str } from '../body.js';

function inWindow(c: CommentRec, w: { before: number; since: number }): boolean {
  return (w.since === 0 || c.updatedUnix >= w.since) && (w.before === 0 || c.updatedUnix <= w.before);
}

/** The comment named by {id}, checked against the repository; undefined after an answer. */
function commentOf(ctx: ApiCtx, rc: RepoCtx) {
  const id = pathInt(ctx, 'id');
  const comment = ctx.core.store.comments.get(id);
  if (!comment) {
    ctx.reply.notFound("The target couldn't be found.", [`comment does not exist [id: ${id}, issue_id: 0]`]);
    return undefined;
  }
  const issue = ctx.core.store.issues.get(comment.issueId);
  if (!issue || issue.repoId !== rc.repo.id) {
    ctx.reply.empty(404);
    return undefined;
  }
  return { comment, issue };
}

export const commentRoutes: Route[] = [
  {
    method: 'GET',
    path: '/repos/:owner/:repo/issues/comments',
    handler: (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const window = beforeSince(ctx);
      if (!window) return;
      const issueIds = new Set(ctx.core.store.issuesOf(rc.repo.id).map((i) => i.id));
      const all = [...ctx.core.store.comments.values()]
        .filter((c) => issueIds.has(c.issueId) && inWindow(c, window))
        .sort((a, b) => a.createdUnix - b.createdUnix || a.id - b.id);
      const opts = listOptions(ctx.query);
      const shown = opts.page !== 0 ? pageOf(all, opts) : all;
      setTotalCount(ctx.reply, all.length);
      ctx.reply.json(
        200,
        shown.map((c) => toComment(ctx.core, rc.repo, ctx.core.store.issues.get(c.issueId)!, c)),
      );
    },
  },
  {
    method: 'GET',
    path: '/repos/:owner/:repo/issues/comments/:id',
    handler: (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const found = commentOf(ctx, rc);
      if (found) ctx.reply.json(200, toComment(ctx.core, rc.repo, found.issue, found.comment));
    },
  },
  {
    method: 'PATCH',
    path: '/repos/:owner/:repo/issues/comments/:id',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc || !needToken(ctx)) return;
      const form = await formOf(ctx, { body: 'Body' });
      if (!form) return;
      const found = commentOf(ctx, rc);
      if (!found) return;
      if (ctx.doer.id !== found.comment.posterId && !atLeast(rc.mode, 'write')) return ctx.reply.empty(403);
      editComment(ctx.core, rc.repo, found.issue, found.comment, ctx.doer, str(form.body));
      ctx.reply.json(200, toComment(ctx.core, rc.repo, found.issue, found.comment));
    },
  },
  {
    method: 'GET',
    path: '/repos/:owner/:repo/issues/:index/comments',
    handler: (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const window = beforeSince(ctx);
      if (!window) return;
      const issue = ctx.core.store.issueByIndex(rc.repo.id, pathInt(ctx, 'index'));
      if (!issue) return ctx.reply.error(500, 'issue does not exist');
      const shown = ctx.core.store.commentsOf(issue.id).filter((c) => inWindow(c, window));
      setTotalCount(ctx.reply, shown.length);
      ctx.reply.json(
        200,
        shown.map((c) => toComment(ctx.core, rc.repo, issue, c)),
      );
    },
  },
  {
    method: 'POST',
    path: '/repos/:owner/:repo/issues/:index/comments',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc || !needToken(ctx)) return;
      const form = await formOf(ctx, { body: 'Body' });
      if (!form) return;
      const issue = ctx.core.store.issueByIndex(rc.repo.id, pathInt(ctx, 'index'));
      if (!issue) return ctx.reply.error(500, 'issue does not exist');
      const comment = createComment(ctx.core, rc.repo, issue, ctx.doer, str(form.body));
      ctx.reply.json(201, toComment(ctx.core, rc.repo, issue, comment));
    },
  },
];
