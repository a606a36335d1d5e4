// The stand-in's records: what Gitea keeps in its database tables, reduced to what the
// endpoints cc-ci calls need. Times are Unix seconds (Gitea's timeutil.TimeStamp).

/** Per-repository access, as models/perm AccessMode (admin and owner both pass reqAdmin). */
export type AccessMode = 'none' | 'read' | 'write' | 'admin' | 'owner';

/** What an org member's teams grant on every repository of the org (teams are not modelled). */
export type OrgRole = 'owner' | 'write' | 'read';

export interface UserRec {
  id: number;
  login: string;
  fullName: string;
  email: string;
  isAdmin: boolean;
  createdUnix: number;
  token: string;
}

export interface OrgMembership {
  public: boolean;
  role: OrgRole;
}

export interface OrgRec {
  id: number;
  name: string;
  fullName: string;
  createdUnix: number;
  /** user id → membership */
  members: Map<number, OrgMembership>;
}

export interface RepoRec {
  id: number;
  /** The owning user or org: its id and whether it is an org. */
  ownerId: number;
  ownerIsOrg: boolean;
  name: string;
  description: string;
  private: boolean;
  /** Archived: read-only, `archived: true` in the API (set through the control API). */
  archived: boolean;
  /** When it was archived (unix seconds; 0 when it is not). */
  archivedUnix: number;
  /** The bare repository. */
  dir: string;
  defaultBranch: string;
  createdUnix: number;
  updatedUnix: number;
  /** Explicit collaborators: user id → mode. */
  collaborators: Map<number, 'read' | 'write' | 'admin'>;
  /** Next issue/PR index (shared by issues and PRs, as in Gitea). */
  nextIndex: number;
}

export interface PullRec {
  id: number;
  headBranch: string;
  baseBranch: string;
  /** The commit refs/pull/<index>/head points at. */
  headCommit: string;
  mergeBase: string;
  merged: boolean;
  mergedUnix: number;
}

export interface IssueRec {
  id: number;
  repoId: number;
  index: number;
  posterId: number;
  title: string;
  body: string;
  closed: boolean;
  closedUnix: number;
  createdUnix: number;
  updatedUnix: number;
  /** Set when the issue is a pull request. */
  pull: PullRec | null;
}

export interface CommentRec {
  id: number;
  issueId: number;
  posterId: number;
  body: string;
  createdUnix: number;
  updatedUnix: number;
}

/**
 * A push to an open PR's head branch: Gitea's comment of type `pull_push` (CommentTypePullRequestPush),
 * whose content is PushActionContent `{"is_force_push", "commit_ids"}` (services/pull/comment.go).
 */
export interface PushRec {
  /** From the comments' id sequence: Gitea keeps timeline events in the comment table. */
  id: number;
  issueId: number;
  /** Who pushed: the stand-in takes the PR's author (its pushes do not name a user). */
  pusherId: number;
  isForcePush: boolean;
  /** A force push: [old head, new head]; otherwise the new commits, oldest first, base commits left out. */
  commitIds: string[];
  createdUnix: number;
}

export type CommitState = 'pending' | 'success' | 'error' | 'failure' | 'warning';

export interface StatusRec {
  /** Global row id (ordering only; the API shows `index`). */
  rowId: number;
  /** Per repository and sha, from 1 (Gitea's CommitStatus.Index, shown as `id`). */
  index: number;
  repoId: number;
  sha: string;
  state: CommitState;
  targetUrl: string;
  description: string;
  context: string;
  creatorId: number;
  createdUnix: number;
}

export interface HookRec {
  id: number;
  repoId: number;
  type: string;
  url: string;
  contentType: 'json' | 'form';
  secret: string;
  /** Event names as the API accepted them (lower case). */
  events: string[];
  active: boolean;
  branchFilter: string;
  authorizationHeader: string;
  createdUnix: number;
  updatedUnix: number;
}
