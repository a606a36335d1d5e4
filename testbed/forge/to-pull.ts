// services/convert/pull.go ToAPIPullRequest for a PR whose head is a branch of the same
// repository. `url` is the HTML URL (not an API URL); head.ref is the branch name while the
// branch exists, else "refs/pull/<n>/head" with the sha of that ref; additions/deletions/
// changed_files are the diff from the merge base to the head.
import type { PullRequest } from 'gitea-js';
import type { ForgeCore } from './core.js';
import { diffStat } from './git.js';
import { goTime } from './gojson.js';
import { pullRef } from './pulls.js';
import { toRepo } from './to-repo.js';
import { toIssue } from './to-issue.js';
import type { Viewer } from './to-user.js';
import type { AccessMode, IssueRec, RepoRec } from './types.js';
import type { Wire } from './wire.js';

export async function toPull(
  core: ForgeCore,
  repo: RepoRec,
  issue: IssueRec,
  refs: Map<string, string>,
  viewer: Viewer,
  mode: AccessMode,
): Promise<Wire<PullRequest>> {
  const pr = issue.pull;
  if (!pr) throw new Error(`issue ${issue.index} is not a pull request`);
  const apiIssue = toIssue(core, repo, issue, viewer);
  const branchTip = refs.get(`refs/heads/${pr.headBranch}`);
  const headSha = branchTip ?? refs.get(pullRef(issue.index)) ?? pr.headCommit;
  const baseSha = refs.get(`refs/heads/${pr.baseBranch}`) ?? '';
  const stat = await diffStat(repo.dir, pr.mergeBase, headSha);
  const apiRepo = toRepo(core, repo, mode);
  const html = apiIssue.html_url ?? '';
  return {
    id: pr.id,
    url: html,
    number: issue.index,
    user: apiIssue.user,
    title: issue.title,
    body: issue.body,
    labels: [],
    milestone: null,
    assignee: null,
    assignees: null,
    requested_reviewers: [],
    requested_reviewers_teams: [],
    state: apiIssue.state,
    draft: apiIssue.pull_request?.draft ?? false,
    is_locked: false,
    comments: apiIssue.comments,
    review_comments: 0,
    additions: stat.additions,
    deletions: stat.deletions,
    changed_files: stat.changedFiles,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    mergeable: !issue.closed && !pr.merged,
    merged: pr.merged,
    merged_at: pr.merged ? goTime(pr.mergedUnix) : null,
    merge_commit_sha: null,
    merged_by: null,
    allow_maintainer_edit: false,
    base: { label: pr.baseBranch, ref: pr.baseBranch, sha: baseSha, repo_id: repo.id, repo: apiRepo },
    head: {
      label: pr.headBranch,
      ref: branchTip ? pr.headBranch : pullRef(issue.index),
      sha: headSha,
      repo_id: repo.id,
      repo: apiRepo,
    },
    merge_base: pr.mergeBase,
    due_date: null,
    created_at: goTime(issue.createdUnix),
    updated_at: goTime(issue.updatedUnix),
    closed_at: issue.closed ? goTime(issue.closedUnix) : null,
    pin_order: 0,
  };
}
