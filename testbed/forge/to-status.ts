// services/convert/status.go. A CommitStatus shows its per-sha `index` as `id`, its state as
// `status` (the request field is `state`), updated_at = created_at, and the creator through
// ToUser(creator, nil). The combined state is the worst of the latest status per context by
// modules/structs/commit_status.go priorities: error < failure < warning < pending < success.
import type { CombinedStatus, CommitStatus } from 'gitea-js';
import type { ForgeCore } from './core.js';
import { goTime } from './gojson.js';
import { repoApiUrl, toRepo } from './to-repo.js';
import { toUserById } from './to-user.js';
import type { AccessMode, CommitState, RepoRec, StatusRec } from './types.js';
import type { Wire } from './wire.js';

export const COMMIT_STATES: readonly CommitState[] = ['pending', 'success', 'error', 'failure', 'warning'];

const PRIORITY: Record<CommitState, number> = { error: 0, failure: 1, warning: 2, pending: 3, success: 4 };

export function toCommitStatus(core: ForgeCore, repo: RepoRec, s: StatusRec): Wire<CommitStatus> {
  return {
    id: s.index,
    status: s.state,
    target_url: s.targetUrl,
    description: s.description,
    url: `${repoApiUrl(core, repo)}/statuses/${encodeURIComponent(s.sha)}`,
    context: s.context,
    creator: toUserById(core, s.creatorId, null),
    created_at: goTime(s.createdUnix),
    updated_at: goTime(s.createdUnix),
  };
}

/** `latest` are the newest status of each context, newest first. */
export function toCombinedStatus(
  core: ForgeCore,
  repo: RepoRec,
  sha: string,
  latest: StatusRec[],
  mode: AccessMode,
): Wire<CombinedStatus> {
  let state: CommitState | '' = '';
  for (const s of latest) if (state === '' || PRIORITY[s.state] <= PRIORITY[state]) state = s.state;
  const commitUrl = `${repoApiUrl(core, repo)}/commits/${encodeURIComponent(sha)}`;
  return {
    state,
    sha,
    total_count: latest.length,
    statuses: latest.map((s) => toCommitStatus(core, repo, s)),
    repository: toRepo(core, repo, mode),
    commit_url: commitUrl,
    url: `${commitUrl}/status`,
  };
}

/** What GetCombinedCommitStatusByRef answers when there is no status: `&api.CombinedStatus{}`. */
export const EMPTY_COMBINED_STATUS = {
  state: '',
  sha: '',
  total_count: 0,
  statuses: null,
  repository: null,
  commit_url: '',
  url: '',
} as const;
