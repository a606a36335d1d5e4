// services/convert/repository.go: innerToRepo, for a plain (not fork, not mirror, not
// template) repository. `permissions` is the caller's access ({admin, push, pull}); the owner
// is rendered with the caller's access mode; `parent`, `external_*` and `repo_transfer` are
// omitempty and absent here.
import type { Repository, RepositoryMeta } from 'gitea-js';
import { atLeast } from './access.js';
import type { ForgeCore } from './core.js';
import { GO_ZERO_TIME, goTime } from './gojson.js';
import { orgAsUser, toUser } from './to-user.js';
import type { AccessMode, RepoRec } from './types.js';
import { OMITTED, type Wire } from './wire.js';

export function repoHtmlUrl(core: ForgeCore, repo: RepoRec): string {
  return `${core.appUrl}${encodeURIComponent(core.store.ownerName(repo))}/${encodeURIComponent(repo.name)}`;
}

export function repoApiUrl(core: ForgeCore, repo: RepoRec): string {
  const owner = encodeURIComponent(core.store.ownerName(repo));
  return `${core.appUrl}api/v1/repos/${owner}/${encodeURIComponent(repo.name)}`;
}

export function toRepo(core: ForgeCore, repo: RepoRec, mode: AccessMode): Wire<Repository> {
  const { store } = core;
  const ownerOrg = repo.ownerIsOrg ? store.orgs.get(repo.ownerId) : undefined;
  const ownerUser = repo.ownerIsOrg ? undefined : store.users.get(repo.ownerId);
  const owner = ownerOrg
    ? orgAsUser(core, ownerOrg)
    : ownerUser
      ? toUser(core, ownerUser, mode === 'none' ? null : ownerUser)
      : null;
  const issues = store.issuesOf(repo.id);
  const html = repoHtmlUrl(core, repo);
  const host = new URL(core.appUrl).hostname;
  return {
    id: repo.id,
    owner,
    name: repo.name,
    full_name: store.fullName(repo),
    description: repo.description,
    empty: false,
    private: repo.private,
    fork: false,
    template: false,
    parent: OMITTED,
    mirror: false,
    size: 0,
    language: '',
    languages_url: `${repoApiUrl(core, repo)}/languages`,
    html_url: html,
    url: repoApiUrl(core, repo),
    link: '',
    ssh_url: `git@${host}:${store.fullName(repo)}.git`,
    clone_url: `${html}.git`,
    original_url: '',
    website: '',
    stars_count: 0,
    forks_count: 0,
    watchers_count: 0,
    open_issues_count: issues.filter((i) => !i.pull && !i.closed).length,
    open_pr_counter: issues.filter((i) => i.pull && !i.closed).length,
    release_counter: 0,
    default_branch: repo.defaultBranch,
    archived: repo.archived,
    created_at: goTime(repo.createdUnix),
    updated_at: goTime(repo.updatedUnix),
    archived_at: goTime(repo.archivedUnix),
    permissions: { admin: atLeast(mode, 'admin'), push: atLeast(mode, 'write'), pull: atLeast(mode, 'read') },
    has_issues: true,
    internal_tracker: {
      enable_time_tracker: true,
      allow_only_contributors_to_track_time: true,
      enable_issue_dependencies: true,
    },
    external_tracker: OMITTED,
    has_wiki: true,
    external_wiki: OMITTED,
    has_pull_requests: true,
    has_projects: true,
    projects_mode: 'all',
    has_releases: true,
    has_packages: true,
    has_actions: true,
    ignore_whitespace_conflicts: false,
    allow_merge_commits: true,
    allow_rebase: true,
    allow_rebase_explicit: true,
    allow_squash_merge: true,
    allow_fast_forward_only_merge: true,
    allow_rebase_update: true,
    default_delete_branch_after_merge: false,
    default_merge_style: 'merge',
    default_allow_maintainer_edit: false,
    avatar_url: '',
    internal: false,
    mirror_interval: '',
    object_format_name: 'sha1',
    mirror_updated: GO_ZERO_TIME,
    repo_transfer: OMITTED,
    topics: [],
    licenses: [],
  };
}

export function toRepoMeta(core: ForgeCore, repo: RepoRec): Wire<RepositoryMeta> {
  return { id: repo.id, name: repo.name, owner: core.store.ownerName(repo), full_name: core.store.fullName(repo) };
}
