// An issue's timeline: routers/api/v1/repo/issue_comment.go ListIssueCommentsAndTimeline (Gitea 1.2x).
// Comments and events of every type in one list, oldest first (created, then id); `since`/`before`
// on the *updated* time (inclusive, whole seconds); paginated only when `page` is given
// (FindComments: `if opts.Page != 0`); X-Total-Count is the number of items on this page
// (`SetTotalCountHeader(len(apiComments))`), no Link. An unknown issue number is a 500, as for
// the comments. The stand-in keeps two types: `comment` and `pull_push`.
import type { Route } from '../route.js';
import { listOptions, pageOf, setTotalCount } from '../paging.js';
import { toTimelineItem, type TimelineItem } from '../to-timeline.js';
import { beforeSince, loadRepo, pathInt } from './common.js';

export const timelineRoutes: Route[] = [
  {
    method: 'GET',
    path: '/repos/:owner/:repo/issues/:index/timeline',
    handler: (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const window = beforeSince(ctx);
      if (!window) return;
      const issue = ctx.core.store.issueByIndex(rc.repo.id, pathInt(ctx, 'index'));
      if (!issue) return ctx.reply.error(500, 'issue does not exist');
      const { store } = ctx.core;
      const updated = (i: TimelineItem) => (i.kind === 'comment' ? i.rec.updatedUnix : i.rec.createdUnix);
      const all: TimelineItem[] = [
        ...store.commentsOf(issue.id).map((rec) => ({ kind: 'comment' as const, rec })),
        ...store.pushesOf(issue.id).map((rec) => ({ kind: 'push' as const, rec })),
      ]
        .filter(
          (i) =>
            (window.since === 0 || updated(i) >= window.since) && (window.before === 0 || updated(i) <= window.before),
        )
        .sort((a, b) => a.rec.createdUnix - b.rec.createdUnix || a.rec.id - b.rec.id);
      const opts = listOptions(ctx.query);
      const shown = opts.page !== 0 ? pageOf(all, opts) : all;
      setTotalCount(ctx.reply, shown.length);
      ctx.reply.json(
        200,
        shown.map((i) => toTimelineItem(ctx.core, rc.repo, issue, i)),
      );
    },
  },
];
