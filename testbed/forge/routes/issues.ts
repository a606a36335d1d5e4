// Creating and editing issues: routers/api/v1/repo/issue.go CreateIssue and EditIssue (Gitea 1.2x).
// - POST …/issues: reqToken and read access to issues; `title` required (422 "[Title]: Required");
//   201 with the Issue. Labels, milestones, assignees and deadlines are not modelled.
// - PATCH …/issues/{n}: only the poster or a repository writer (else 403 with no body); an empty
//   or missing title leaves the title, `body` when given replaces it, `state` "closed" closes and
//   any other given state opens; answered with **201** and the Issue, as Gitea does.
// Issue webhooks (`issues` events) are not sent.
import { atLeast } from '../access.js';
import { str } from '../body.js';
import { createIssue, setIssueState } from '../pulls.js';
import type { Route } from '../route.js';
import { toIssue } from '../to-issue.js';
import { formOf, loadRepo, needToken, pathInt } from './common.js';

export const issueRoutes: Route[] = [
  {
    method: 'POST',
    path: '/repos/:owner/:repo/issues',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc || !needToken(ctx)) return;
      const form = await formOf(ctx, { title: 'Title' });
      if (!form) return;
      const issue = createIssue(ctx.core, rc.repo, ctx.doer, str(form.title), str(form.body));
      ctx.reply.json(201, toIssue(ctx.core, rc.repo, issue, ctx.doer));
    },
  },
  {
    method: 'PATCH',
    path: '/repos/:owner/:repo/issues/:index',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc || !needToken(ctx)) return;
      const form = await formOf(ctx);
      if (!form) return;
      const issue = ctx.core.store.issueByIndex(rc.repo.id, pathInt(ctx, 'index'));
      if (!issue) return ctx.reply.notFound();
      if (issue.posterId !== ctx.doer.id && !atLeast(rc.mode, 'write')) return ctx.reply.empty(403);
      const now = ctx.core.store.clock.unix();
      if (str(form.title) !== '') issue.title = str(form.title);
      if (typeof form.body === 'string') issue.body = form.body;
      issue.updatedUnix = now;
      if (typeof form.state === 'string') setIssueState(ctx.core, issue, form.state === 'closed' ? 'closed' : 'open');
      ctx.reply.json(201, toIssue(ctx.core, rc.repo, issue, ctx.doer));
    },
  },
];
