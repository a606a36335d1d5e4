// Polling, the default trigger (read-only, so it works with no webhook): each enrolled
// repository's comments updated since the cursor kept in the store. The very first poll of a
// repository only marks what is there as seen, so nothing old fires; after a restart, comments
// written while cc-ci was down are handled once each (the store's claim does the "once"). A
// forge that fails is retried with a growing pause and a clear log line. Which PR a comment is on
// is the forge's to say (forge/<type>/): the poller sees cc-ci's words only.
import { CcciError, errorMessage } from '../model/errors.js';
import type { Forge } from '../forge/forge.js';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock, type Timer } from '../model/clock.js';
import type { RunStore } from '../queue/store.js';
import type { ForgeBridge } from './bridge.js';

export interface PollerDeps {
  forge: Pick<Forge, 'commentsSince'>;
  store: RunStore;
  bridge: Pick<ForgeBridge, 'handle'>;
  repos: readonly string[];
  intervalMs: number;
  log: Logger;
  /** The longest pause after failures. */
  maxBackoffMs?: number;
  clock?: Clock;
}

const EPOCH = new Date(0).toISOString();

export class Poller {
  private timer: Timer | undefined;
  private failures = 0;
  private stopped = false;
  private polling: Promise<void> | undefined;

  private readonly clock: Clock;

  constructor(private readonly deps: PollerDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.polling;
  }

  /** One pass over every repository; throws when the forge failed (the loop backs off). */
  async pollOnce(): Promise<void> {
    for (const repo of this.deps.repos) await this.pollRepo(repo);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.after(ms, () => {
      this.polling = this.pollOnce().then(
        () => {
          if (this.failures > 0)
            this.deps.log.info(
              `the forge answers again after ${this.failures} failed polls; ` +
                'comments written meanwhile are being handled',
            );
          this.failures = 0;
          this.schedule(this.deps.intervalMs);
        },
        (err: unknown) => {
          this.failures++;
          const pause = Math.min(this.deps.intervalMs * 2 ** this.failures, this.deps.maxBackoffMs ?? 300_000);
          const code = err instanceof CcciError ? err.code : 'INTERNAL';
          this.deps.log.warn(
            { code, failures: this.failures },
            `polling the forge failed (${errorMessage(err)}); trying again in ${Math.round(pause / 1000)} s — ` +
              'no comment is lost, they are read when it answers',
          );
          this.schedule(pause);
        },
      );
    });
  }

  private async pollRepo(repo: string): Promise<void> {
    const key = `comments:${repo}`;
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
  }
}
