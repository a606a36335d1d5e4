// Polling, the default trigger (read-only, so it works with no webhook): each enrolled
// repository's comments updated since the cursor kept in the store. The very first poll of a
// repository only marks what is there as seen, so nothing old fires; after a restart, comments
// written while cc-ci was down are handled once each (the store's claim does the "once"). Each
// repository is polled on its own: one the forge refuses (a typo in forge.repos, a repository
// made private) or cannot serve is retried with its own growing pause and a clear log line, shown
// on /healthz and the overview (health()), while the others go on. Which PR a comment is on is
// the forge's to say (forge/<type>/): the poller sees cc-ci's words only. With push runs on, each
// poll of a repository also reads its default-branch head (deps.heads). The repositories are the
// live enrolment: one that comes in (a reload, an org discovery) is polled at once, one that
// leaves is dropped with its state.
import type { EnrolledRepos } from '../config/enrolment.js';
import { CcciError, errorMessage, type ErrorCode } from '../model/errors.js';
import type { Forge } from '../forge/forge.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock, type Timer } from '../model/clock.js';
import type { RunStore } from '../queue/store.js';
import type { ForgeBridge } from './bridge.js';

export interface PollerDeps {
  forge: Pick<Forge, 'commentsSince'>;
  store: RunStore;
  bridge: Pick<ForgeBridge, 'handle'>;
  repos: Pick<EnrolledRepos, 'list' | 'onChange'>;
  intervalMs: number;
  log: Logger;
  /**
   * Reads each repository's default-branch head once per poll, when push runs are on
   * (src/schedule/push-runs.ts): a moved head queues a run.
   */
  heads?: { check(repo: string): Promise<unknown> };
  /** The longest pause after failures. */
  maxBackoffMs?: number;
  clock?: Clock;
}

const EPOCH = new Date(0).toISOString();

/** The store's key of a repository's poll cursor (the forge's time of the newest comment seen). */
export function cursorKey(repo: string): string {
  return `comments:${repo}`;
}

/** How polling one repository goes, for /healthz and the overview. */
export interface RepoPollHealth {
  repo: string;
  /** The last poll of it answered (true before its first poll too). */
  ok: boolean;
  /** Polls of it that failed in a row. */
  failures: number;
  /** What the forge said (or did not) at the last failure. */
  error?: { code: ErrorCode; message: string };
  /** What to do about the failure. */
  fix?: string;
  /** When it failed first in this row of failures (cc-ci's clock). */
  failingSince?: string;
  /** When it is polled next (cc-ci's clock). */
  nextPollAt?: string;
  /** When a poll of it last answered (cc-ci's clock); absent before the first. */
  lastPolledAt?: string;
}

interface RepoState {
  failures: number;
  /** The clock's ms when the repository is due. */
  dueAt: number;
  error?: CcciError | Error;
  failingSince?: Date;
  lastPolledAt?: Date;
}

export class Poller {
  private timer: Timer | undefined;
  private stopped = false;
  private polling: Promise<void> | undefined;
  private readonly states = new Map<string, RepoState>();
  private inPass = false;
  private readonly unsubscribe: () => void;

  private readonly clock: Clock;

  constructor(private readonly deps: PollerDeps) {
    this.clock = deps.clock ?? systemClock;
    this.syncStates();
    this.unsubscribe = deps.repos.onChange(() => this.enrolmentChanged());
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.timer?.cancel();
    await this.polling;
  }

  /** The enrolled repositories now, each with its state (a new one is due at once). */
  private repos(): string[] {
    this.syncStates();
    return this.deps.repos.list();
  }

  private syncStates(): void {
    const now = this.deps.repos.list();
    for (const repo of now) if (!this.states.has(repo)) this.states.set(repo, { failures: 0, dueAt: 0 });
    for (const repo of [...this.states.keys()]) if (!now.includes(repo)) this.states.delete(repo);
  }

  /** A repository came in or left: a sleeping poller wakes to poll a new one now. */
  private enrolmentChanged(): void {
    this.syncStates();
    if (this.stopped || this.inPass || !this.timer) return;
    this.timer.cancel();
    this.schedule(0);
  }

  /**
   * One pass over every repository, each on its own: a failing one does not keep the others
   * from being polled. Throws the first failure once all are done.
   */
  async pollOnce(): Promise<void> {
    let first: unknown;
    for (const repo of this.repos()) {
      const err = await this.pollOne(repo);
      first ??= err;
    }
    if (first !== undefined) throw first;
  }

  /** Every enrolled repository and how its polling goes. */
  health(): RepoPollHealth[] {
    return this.repos().map((repo) => {
      const state = this.states.get(repo)!;
      const ok = state.failures === 0;
      return {
        repo,
        ok,
        failures: state.failures,
        ...(state.error && !ok ? { error: describe(state.error), fix: fixFor(state.error, repo) } : {}),
        ...(state.failingSince && !ok ? { failingSince: state.failingSince.toISOString() } : {}),
        ...(state.dueAt > 0 ? { nextPollAt: new Date(state.dueAt).toISOString() } : {}),
        ...(state.lastPolledAt ? { lastPolledAt: state.lastPolledAt.toISOString() } : {}),
      };
    });
  }

  /** Polls the repositories that are due, then sleeps until the next one is. */
  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.after(ms, () => {
      this.inPass = true;
      this.polling = this.pollDue().then(() => {
        this.inPass = false;
        this.syncStates();
        const now = this.clock.now().getTime();
        const next = Math.min(...[...this.states.values()].map((s) => s.dueAt));
        this.schedule(Number.isFinite(next) ? Math.max(0, next - now) : this.deps.intervalMs);
      });
    });
  }

  private async pollDue(): Promise<void> {
    for (const repo of this.repos()) {
      if (this.stopped) return;
      const state = this.states.get(repo);
      // Left the enrolment while an earlier repository was polled.
      if (!state) continue;
      if (state.dueAt <= this.clock.now().getTime()) await this.pollOne(repo);
    }
  }

  /** Polls one repository and keeps its state; returns the error instead of throwing it. */
  private async pollOne(repo: string): Promise<unknown> {
    const state = this.states.get(repo) ?? { failures: 0, dueAt: 0 };
    try {
      await this.pollRepo(repo);
    } catch (err) {
      state.failures++;
      state.error = err instanceof Error ? err : new Error(errorMessage(err));
      state.failingSince ??= this.clock.now();
      const pause = Math.min(this.deps.intervalMs * 2 ** state.failures, this.deps.maxBackoffMs ?? 300_000);
      state.dueAt = this.clock.now().getTime() + pause;
      const code = err instanceof CcciError ? err.code : 'INTERNAL';
      this.deps.log.warn(
        { code, repo, failures: state.failures },
        `polling ${repo} failed (${errorMessage(err)}); trying it again in ${Math.round(pause / 1000)} s, ` +
          `the other repositories are polled meanwhile — ${fixFor(err, repo)}`,
      );
      return err;
    }
    if (state.failures > 0)
      this.deps.log.info(
        { repo },
        `the forge answers again for ${repo} after ${state.failures} failed polls; ` +
          'comments written meanwhile are being handled',
      );
    state.failures = 0;
    state.error = undefined;
    state.failingSince = undefined;
    state.lastPolledAt = this.clock.now();
    state.dueAt = this.clock.now().getTime() + this.deps.intervalMs;
    return undefined;
  }

  private async pollRepo(repo: string): Promise<void> {
    const key = cursorKey(repo);
    const cursor = this.deps.store.getCursor(key);
    const comments = await this.deps.forge.commentsSince(repo, cursor);
    let newest = cursor;
    for (const c of comments) {
      const { commentId, pr } = c;
      if (!cursor) {
        // First poll ever: what is there now is history, not a request.
        this.deps.store.claimComment(commentId, repo, pr);
      } else if (pr !== undefined) {
        const { body, user, createdAt } = c;
        const outcome = await this.deps.bridge.handle({ repo, pr, commentId, body, user, createdAt });
        // The cursor stays before a comment the forge could not let us handle.
        if (outcome === 'retry') {
          throw new CcciError('FORGE_UNREACHABLE', `comment ${commentId} on ${repo}#${pr} could not be handled yet`);
        }
      }
      const updated = c.updatedAt;
      if (updated && (!newest || Date.parse(updated) > Date.parse(newest))) newest = new Date(updated).toISOString();
    }
    // `since` is inclusive and in whole seconds: the comments at the cursor come again and are
    // skipped as already claimed. The cursor is always the forge's own time, never ours (clocks
    // differ): with no comment at all yet, it starts at the beginning.
    this.deps.store.setCursor(key, newest ?? EPOCH);
    await this.deps.heads?.check(repo);
  }
}

function describe(err: Error): { code: ErrorCode; message: string } {
  return { code: err instanceof CcciError ? err.code : 'INTERNAL', message: err.message };
}

/** What the operator can do about a repository whose polling fails. */
function fixFor(err: unknown, repo: string): string {
  const code = err instanceof CcciError ? err.code : 'INTERNAL';
  if (code === 'FORGE_REFUSED')
    return (
      `check ${repo} in forge.repos (a typo, or a repository renamed, deleted or made private) and that the ` +
      'bot account may read it (docs/forge.md, section 1); comments on it are read once the forge lets cc-ci'
    );
  if (code === 'FORGE_UNREACHABLE')
    return 'the forge did not answer: no comment is lost, they are read when it answers (check forge.url if it lasts)';
  return 'see the log of cc-ci serve for the error';
}
