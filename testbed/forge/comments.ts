// Creating and editing comments — the one code path for the API and the control surface, so
// webhooks fire the same way. services/issue/comments.go + services/webhook/notifier.go:
// a comment on a PR is HookEventPullRequestComment, on an issue HookEventIssueComment; the
// payload is {action, issue, comment, [changes], repository, sender, is_pull} with no head sha.
// Creating a comment also bumps the issue's updated_at; editing moves the comment's
// updated_at (xorm `updated`) and sends action "edited" with changes.body.from — only when the
// body actually changed (routers/api/v1/repo/issue_comment.go editIssueComment).
import { repoAccess } from './access.js';
import type { ForgeCore } from './core.js';
import { toRepo } from './to-repo.js';
import { toComment, toIssue } from './to-issue.js';
import { toUser } from './to-user.js';
import type { CommentRec, IssueRec, RepoRec, UserRec } from './types.js';

function fire(core: ForgeCore, repo: RepoRec, issue: IssueRec, payload: Record<string, unknown>): void {
  const eventType = issue.pull ? 'pull_request_comment' : 'issue_comment';
  core.webhooks.enqueue(
    core.store.hooksOf(repo.id),
    core.store.fullName(repo),
    eventType,
    String(payload.action),
    payload,
  );
}

export function createComment(
  core: ForgeCore,
  repo: RepoRec,
  issue: IssueRec,
  doer: UserRec,
  body: string,
): CommentRec {
  const { store } = core;
  const now = store.clock.unix();
  const comment: CommentRec = {
    id: store.nextId('comment'),
    issueId: issue.id,
    posterId: doer.id,
    body,
    createdUnix: now,
    updatedUnix: now,
  };
  store.comments.set(comment.id, comment);
  issue.updatedUnix = now;
  fire(core, repo, issue, {
    action: 'created',
    issue: toIssue(core, repo, issue, doer),
    comment: toComment(core, repo, issue, comment),
    repository: toRepo(core, repo, repoAccess(store, repo, doer)),
    sender: toUser(core, doer, null),
    is_pull: issue.pull !== null,
  });
  return comment;
}

/** Returns whether the body changed (no change: nothing is updated and no webhook is sent). */
export function editComment(
  core: ForgeCore,
  repo: RepoRec,
  issue: IssueRec,
  comment: CommentRec,
  doer: UserRec,
  body: string,
): boolean {
  if (body === comment.body) return false;
  const old = comment.body;
  comment.body = body;
  comment.updatedUnix = core.store.clock.unix();
  fire(core, repo, issue, {
    action: 'edited',
    issue: toIssue(core, repo, issue, doer),
    comment: toComment(core, repo, issue, comment),
    changes: { body: { from: old } },
    repository: toRepo(core, repo, 'owner'),
    sender: toUser(core, doer, null),
    is_pull: issue.pull !== null,
  });
  return true;
}
