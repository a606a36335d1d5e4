// Default-branch runs on push: each enrolled repository's default-branch head, read through the
// forge (each poll, and at once when a push webhook announces a change), queues one run of that
// commit when it moved. The delivery is only a nudge: the head is always read from the forge, one
// read at a time per repository, so a late or replayed delivery cannot queue an old commit. The
// head last seen is kept in the store. The very first sight of a repository is history, not a
// push (like the comment poller's first poll), unless the recipe never had a default-branch run:
// then one run is queued so its badge leaves "no runs". A newer head supersedes the queued and
// running push and sweep runs of the branch (the scheduler's supersede).
import type { ForgeClient, RepoName } from '../forge/types.js';
import type { Logger } from '../log/create-logger.js';
import type { RunRecord } from '../model/run.js';
import type { RunControl } from '../queue/run-control.js';
import type { RunStore } from '../queue/store.js';

export interface PushRunsDeps {
  store: RunStore;
  runs: Pick<RunControl, 'enqueue'>;
  forge: Pick<ForgeClient, 'defaultBranchHead' | 'cloneUrl'>;
  log: Logger;
}

/** The store's key of the default-branch head last seen of a repository. */
export function headKey(repo: RepoName): string {
  return `head:${repo}`;
}

export class PushRuns {
  /** Per repository, the check under way: reads of one repository's head never overlap. */
  private readonly checking = new Map<RepoName, Promise<RunRecord | undefined>>();

  constructor(private readonly deps: PushRunsDeps) {}

  /**
   * Reads the repository's default-branch head and queues a run of it when it moved since the
   * last read; resolves to that run. Throws what the forge threw (the poller backs off on it).
   */
  check(repo: RepoName): Promise<RunRecord | undefined> {
    const before = this.checking.get(repo) ?? Promise.resolve(undefined);
    const next = before.catch(() => undefined).then(() => this.checkNow(repo));
    this.checking.set(repo, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.checking.get(repo) === next) this.checking.delete(repo);
      });
    return next;
  }

  private async checkNow(repo: RepoName): Promise<RunRecord | undefined> {
    const { store, log } = this.deps;
    const { branch, sha } = await this.deps.forge.defaultBranchHead(repo);
    const key = headKey(repo);
    const last = store.getCursor(key);
    if (last === sha) return undefined;
    store.setCursor(key, sha);
    const recipe = repo.split('/')[1] ?? repo;
    if (last === undefined && store.hasBranchRun(recipe)) {
      log.info({ repo, branch, sha }, `${repo}: ${branch} is at ${sha.slice(0, 12)}; runs start at its next push`);
      return undefined;
    }
    const run = this.deps.runs.enqueue({
      recipe,
      repo: this.deps.forge.cloneUrl(repo),
      ref: branch,
      sha,
      stages: [],
      keep: false,
      trigger: { kind: 'push', forgeRepo: repo },
    });
    const why =
      last === undefined ? 'the recipe has had no default-branch run yet' : `it moved from ${last.slice(0, 12)}`;
    log.info(
      { runId: run.id, repo, branch, sha },
      `${repo}: ${branch} is at ${sha.slice(0, 12)} (${why}): run ${run.id}`,
    );
    return run;
  }
}
