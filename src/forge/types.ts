// The forge client's vocabulary. Field names are gitea-js 1.23's (generated from Gitea's
// swagger), re-exported here so the rest of src/ never imports gitea-js itself (lint enforces it).
import type { Comment, CommitStatus, Issue, PullRequest, Repository, User } from 'gitea-js';

export type {
  Branch,
  Comment,
  CommitStatus,
  CreateStatusOption,
  Issue,
  PullRequest,
  PRBranchInfo,
  Repository,
  TimelineComment,
  User,
} from 'gitea-js';

/** `owner/name` of a repository on the forge. */
export type RepoName = string;

/** A repository's default branch and the commit at its head. */
export interface BranchHead {
  branch: string;
  /** The head commit (hex sha). */
  sha: string;
}

/** The four states every Gitea and Forgejo version knows (`warning` and newer ones are not sent). */
export type StatusState = 'pending' | 'success' | 'failure' | 'error';

export interface StatusInput {
  state: StatusState;
  targetUrl?: string;
  description?: string;
  /** The check name, e.g. `cc-ci/recipe`. */
  context: string;
}

/** What an issue is changed to (EditIssueOption): only the fields given change. */
export interface IssueEdit {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
}

/** A push to a pull request's head, as the forge's timeline records it (its own clock). */
export interface PrPush {
  /** When the forge recorded the push (RFC 3339, the forge's time). */
  at: string;
  /** The commits it names (hex shas; a force push names the old and the new head). */
  commits: string[];
  force: boolean;
}

export interface ForgeClient {
  /** The token's own user (GET /user). */
  whoAmI(): Promise<User>;
  /** Every open PR of the repository, over all pages, oldest first. */
  listOpenPulls(repo: RepoName): Promise<PullRequest[]>;
  getPull(repo: RepoName, n: number): Promise<PullRequest>;
  /** Every comment of issue or PR `n` (no paging there); `since` compares the *updated* time. */
  listComments(repo: RepoName, n: number, opts?: { since?: string }): Promise<Comment[]>;
  /** Every comment of the repository (all pages); `since` compares the *updated* time. */
  listRepoComments(repo: RepoName, opts?: { since?: string }): Promise<Comment[]>;
  /** The pushes to PR `n` recorded since `since` (inclusive, compared with the forge's time), oldest first. */
  listPrPushes(repo: RepoName, n: number, opts?: { since?: string }): Promise<PrPush[]>;
  createComment(repo: RepoName, n: number, body: string): Promise<Comment>;
  editComment(repo: RepoName, id: number, body: string): Promise<Comment>;
  getComment(repo: RepoName, id: number): Promise<Comment>;
  /** A new issue (POST /repos/{o}/{r}/issues); the answer's `number` names it. */
  createIssue(repo: RepoName, issue: { title: string; body: string }): Promise<Issue>;
  /** Changes an issue's title, body or state (PATCH /repos/{o}/{r}/issues/{n}). */
  editIssue(repo: RepoName, n: number, edit: IssueEdit): Promise<Issue>;
  /** One issue or PR (`state` tells whether someone closed it). */
  getIssue(repo: RepoName, n: number): Promise<Issue>;
  /**
   * Whether `user` is a member of `org`. 'unknown' when the forge would not say because the bot
   * itself is not a member (Gitea answers 303 to the public-members list then).
   */
  isOrgMember(org: string, user: string): Promise<boolean | 'unknown'>;
  /** A commit status; the answer names the state `status`. */
  setStatus(repo: RepoName, sha: string, status: StatusInput): Promise<CommitStatus>;
  /** The statuses of a commit, newest first (one page). */
  listStatuses(repo: RepoName, sha: string): Promise<CommitStatus[]>;
  /** The repository as the bot sees it; `permissions` are the bot's own ({admin, push, pull}). */
  getRepo(repo: RepoName): Promise<Repository>;
  /**
   * The repository's default branch and its head commit: GET /repos/{o}/{r} for default_branch,
   * then GET /repos/{o}/{r}/branches/{branch} for its commit.
   */
  defaultBranchHead(repo: RepoName): Promise<BranchHead>;
  /** `<url>/<owner>/<name>.git` */
  cloneUrl(repo: RepoName): string;
  /** Every repository of the org the bot may see, over all pages (GET /orgs/{org}/repos). */
  listOrgRepos(org: string): Promise<Repository[]>;
  /** Whether the default branch has a file at `path` (GET /repos/{o}/{r}/contents/{path}: 200 or 404). */
  hasFile(repo: RepoName, path: string): Promise<boolean>;
}

export interface ForgeClientOptions {
  /** The forge's base URL (forge.url), e.g. https://git.coopcloud.tech */
  url: string;
  /** config.secrets.forgeToken */
  token: string;
  /** Per request, body included (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first try on network errors, timeouts and 5xx (default 4). */
  retries?: number;
  log?: (line: string) => void;
  /** Test seam; default the global fetch. */
  fetch?: typeof fetch;
  /** Test seam for the backoff; default a timer. */
  sleep?: (ms: number) => Promise<void>;
}
