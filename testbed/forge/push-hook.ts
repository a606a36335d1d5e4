// The push webhook, services/webhook/notifier.go PushCommits with modules/structs/hook.go
// PushPayload: {ref, before, after, compare_url, commits, total_commits, head_commit, repository,
// pusher, sender}, `X-Gitea-Event: push`. Fired for a commit made through the control surface
// (commitOnBranch); a push over git HTTP fires nothing here. The commit list is left empty and
// pusher and sender are null: cc-ci reads only ref, after and the repository.
import type { ForgeCore } from './core.js';
import { toRepo } from './to-repo.js';
import type { RepoRec } from './types.js';

export function firePush(core: ForgeCore, repo: RepoRec, branch: string, before: string, after: string): void {
  const fullName = core.store.fullName(repo);
  core.webhooks.enqueue(core.store.hooksOf(repo.id), fullName, 'push', '', {
    ref: `refs/heads/${branch}`,
    before,
    after,
    compare_url: `${core.appUrl}${fullName}/compare/${before}...${after}`,
    commits: [],
    total_commits: 1,
    head_commit: null,
    repository: toRepo(core, repo, 'admin'),
    pusher: null,
    sender: null,
  });
}
