// services/convert/issue_comment.go ToTimelineComment: a PR's comments and events in one shape.
// Only the two types the stand-in keeps are made: `comment` (a plain comment) and `pull_push`
// (a push to the PR), whose `body` is the comment's raw content, PushActionContent's JSON
// `{"is_force_push": …, "commit_ids": […]}` (services/pull/comment.go).
import type { TimelineComment } from 'gitea-js';
import type { ForgeCore } from './core.js';
import { goTime } from './gojson.js';
import { issueHtmlUrl } from './to-issue.js';
import { toUserById } from './to-user.js';
import type { CommentRec, IssueRec, PushRec, RepoRec } from './types.js';
import type { Wire } from './wire.js';

export type TimelineItem = { kind: 'comment'; rec: CommentRec } | { kind: 'push'; rec: PushRec };

export function toTimelineItem(
  core: ForgeCore,
  repo: RepoRec,
  issue: IssueRec,
  item: TimelineItem,
): Wire<TimelineComment> {
  const html = issueHtmlUrl(core, repo, issue);
  const { rec } = item;
  const body =
    item.kind === 'comment'
      ? item.rec.body
      : JSON.stringify({ is_force_push: item.rec.isForcePush, commit_ids: item.rec.commitIds });
  const posterId = item.kind === 'comment' ? item.rec.posterId : item.rec.pusherId;
  const updated = item.kind === 'comment' ? item.rec.updatedUnix : item.rec.createdUnix;
  return {
    id: rec.id,
    type: item.kind === 'comment' ? 'comment' : 'pull_push',
    user: toUserById(core, posterId, null),
    html_url: `${html}#issuecomment-${rec.id}`,
    issue_url: issue.pull ? '' : html,
    pull_request_url: issue.pull ? html : '',
    body,
    created_at: goTime(rec.createdUnix),
    updated_at: goTime(updated),
    old_project_id: 0,
    project_id: 0,
    old_milestone: null,
    milestone: null,
    tracked_time: null,
    old_title: '',
    new_title: '',
    old_ref: '',
    new_ref: '',
    ref_issue: null,
    ref_comment: null,
    ref_action: '',
    ref_commit_sha: '',
    review_id: 0,
    label: null,
    assignee: null,
    assignee_team: null,
    removed_assignee: false,
    resolve_doer: null,
    dependent_issue: null,
  };
}
