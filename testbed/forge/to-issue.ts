// services/convert/issue.go ToAPIIssue and issue_comment.go ToAPIComment. An issue's `url` is
// its API URL (…/issues/<n>, also for PRs); `html_url` is …/pulls/<n> for a PR. A comment's
// poster is rendered with ToUser(poster, nil) (placeholder email); on a PR comment `issue_url`
// is "" and `pull_request_url` is the PR's HTML URL (models/issues/comment.go IssueURL/PRURL).
import type { Comment, Issue } from 'gitea-js';
import type { ForgeCore } from './core.js';
import { goTime } from './gojson.js';
import { repoApiUrl, repoHtmlUrl, toRepoMeta } from './to-repo.js';
import { toUserById, type Viewer } from './to-user.js';
import type { CommentRec, IssueRec, RepoRec } from './types.js';
import type { Wire } from './wire.js';

export function issueHtmlUrl(core: ForgeCore, repo: RepoRec, issue: IssueRec): string {
  return `${repoHtmlUrl(core, repo)}/${issue.pull ? 'pulls' : 'issues'}/${issue.index}`;
}

export function numComments(core: ForgeCore, issue: IssueRec): number {
  let n = 0;
  for (const c of core.store.comments.values()) if (c.issueId === issue.id) n++;
  return n;
}

export function toIssue(core: ForgeCore, repo: RepoRec, issue: IssueRec, viewer: Viewer): Wire<Issue> {
  const html = issueHtmlUrl(core, repo, issue);
  return {
    id: issue.id,
    url: `${repoApiUrl(core, repo)}/issues/${issue.index}`,
    html_url: html,
    number: issue.index,
    user: toUserById(core, issue.posterId, viewer),
    original_author: '',
    original_author_id: 0,
    title: issue.title,
    body: issue.body,
    ref: '',
    assets: [],
    labels: [],
    milestone: null,
    assignee: null,
    assignees: null,
    state: issue.closed ? 'closed' : 'open',
    is_locked: false,
    comments: numComments(core, issue),
    created_at: goTime(issue.createdUnix),
    updated_at: goTime(issue.updatedUnix),
    closed_at: issue.closed ? goTime(issue.closedUnix) : null,
    due_date: null,
    pull_request: issue.pull
      ? {
          merged: issue.pull.merged,
          merged_at: issue.pull.merged ? goTime(issue.pull.mergedUnix) : null,
          draft: isWorkInProgress(issue.title),
          html_url: html,
        }
      : null,
    repository: toRepoMeta(core, repo),
    pin_order: 0,
  };
}

/** setting.Repository.PullRequest.WorkInProgressPrefixes default: "WIP:", "[WIP]" (any case). */
export function isWorkInProgress(title: string): boolean {
  const t = title.toUpperCase();
  return t.startsWith('WIP:') || t.startsWith('[WIP]');
}

export function toComment(core: ForgeCore, repo: RepoRec, issue: IssueRec, c: CommentRec): Wire<Comment> {
  const html = issueHtmlUrl(core, repo, issue);
  return {
    id: c.id,
    html_url: `${html}#issuecomment-${c.id}`,
    pull_request_url: issue.pull ? html : '',
    issue_url: issue.pull ? '' : html,
    user: toUserById(core, c.posterId, null),
    original_author: '',
    original_author_id: 0,
    body: c.body,
    assets: [],
    created_at: goTime(c.createdUnix),
    updated_at: goTime(c.updatedUnix),
  };
}
