// What every part of the stand-in shares: the tables, where it lives, how it is reached.
import type { Faults } from './faults.js';
import type { RequestLog } from './request-log.js';
import type { Store } from './store.js';
import type { Webhooks } from './webhooks.js';

export interface ForgeCore {
  store: Store;
  /** Gitea's AppURL: `http://127.0.0.1:<port>/` (with the trailing slash). */
  appUrl: string;
  /** The data folder; bare repositories live in `<dataDir>/repos/<owner>/<name>.git`. */
  dataDir: string;
  reposDir: string;
  /** What GET /api/v1/version reports. */
  version: string;
  /** REQUIRE_SIGNIN_VIEW: anonymous API calls are refused. */
  requireSignInView: boolean;
  webhooks: Webhooks;
  faults: Faults;
  log: RequestLog;
  /** Serialises work on one repository (ref updates). */
  withRepoLock<T>(repoId: number, fn: () => Promise<T>): Promise<T>;
}

export function swaggerUrl(core: ForgeCore): string {
  return `${core.appUrl}api/swagger`;
}

export function makeRepoLock(): ForgeCore['withRepoLock'] {
  const tails = new Map<number, Promise<unknown>>();
  return async <T>(repoId: number, fn: () => Promise<T>): Promise<T> => {
    const previous = tails.get(repoId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    tails.set(
      repoId,
      run.catch(() => undefined),
    );
    return run;
  };
}
