// Custom checks: `recipes/<recipe>/*.check.ts` files of cc-ci's own recipes folder (operator
// code, not the PR's). Every exported function is a check; it receives a context, throws to fail,
// and may return a line of detail. What a check throws is reported as the check's own throw (with
// what Chromium saw, when it was a page's error); cc-ci's own errors (its exec, fetch, page())
// pass as they are, and `blame` judges both.
import { pathToFileURL } from 'node:url';
import { pageFailure, readPageError, type Page } from '../../browser/chromium.js';
import { CcciError, FactError, RecipeFailure } from '../../model/errors.js';
import { rowFromError, rowFromFact } from '../../model/blame.js';
import type { CheckRow } from '../../model/stage.js';
import type { ExecResult } from '../../docker/swarm-api.js';
import { AppBrowser } from '../checks/browser.js';
import { appBaseUrl, requestViaIngress, type Ingress } from '../checks/ingress-request.js';

/** What a custom check receives (documented in docs/enroll-recipe.md). */
export interface CheckContext {
  recipe: string;
  domain: string;
  /** `https://<domain>` (or the ingress scheme and port): how visitors reach the app. */
  baseUrl: string;
  /** A GET through the ingress with the app's Host; resolves to a standard Response. */
  fetch(path: string): Promise<Response>;
  /** Runs a command (argument array) in a running container of a service of the app. */
  exec(service: string, cmd: string[]): Promise<ExecResult>;
  /** A Chromium page that reaches the app's domain (launched on first use). */
  page(): Promise<Page>;
  /** Aborts when the run is stopped or the check's 5 minutes are up: pass it to anything long the check does. */
  signal: AbortSignal;
}

export interface CustomCheckDeps {
  recipe: string;
  domain: string;
  ingress: Ingress;
  exec: (service: string, cmd: string[]) => Promise<ExecResult>;
  signal: AbortSignal;
}

let unregister: (() => Promise<void>) | undefined;

// A custom check that hangs must not hang the run.
export const CUSTOM_CHECK_TIMEOUT_MS = 5 * 60_000;

/** The check's own promise, ended when its signal aborts: its time is up, or the run was stopped. */
function bounded<T>(work: Promise<T> | T, what: string, checkSignal: AbortSignal, runSignal: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        runSignal.aborted
          ? new CcciError('CANCELLED', `${what}: stopped`)
          : new FactError(
              { source: 'custom-check', what: 'timed-out' },
              `${what} did not finish within ${CUSTOM_CHECK_TIMEOUT_MS / 60_000} min`,
            ),
      );
    if (checkSignal.aborted) onAbort();
    else checkSignal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([Promise.resolve(work), cut]).finally(() => {
    if (onAbort) checkSignal.removeEventListener('abort', onAbort);
  });
}

/** What a check threw: cc-ci's own error as it is, else the check's throw, with what Chromium saw in it. */
function asCheckOutcome(err: unknown, baseUrl: string): unknown {
  if (err instanceof CcciError || err instanceof RecipeFailure || err instanceof FactError) return err;
  const page = readPageError(err);
  const fact = { source: 'custom-check', what: 'threw', ...(page ? { page } : {}) } as const;
  return new FactError(fact, (err as Error)?.message ?? String(err), { cause: page ? pageFailure(err, baseUrl) : err });
}

export async function runCustomChecks(files: string[], deps: CustomCheckDeps): Promise<CheckRow[]> {
  if (files.length === 0) return [];
  // Loaded on first use: most runs have no custom checks.
  unregister ??= (await import('tsx/esm/api')).register();
  // Chromium starts only if a check asks for a page.
  const browser = new AppBrowser(deps.ingress, deps.domain, deps.signal);
  // Each check gets its own signal: it aborts when the run stops or the check's time is up.
  const contextFor = (signal: AbortSignal): CheckContext => ({
    recipe: deps.recipe,
    domain: deps.domain,
    baseUrl: appBaseUrl(deps.ingress, deps.domain),
    async fetch(path) {
      const res = await requestViaIngress(deps.ingress, deps.domain, path, { signal });
      return new Response(res.body, { status: res.status });
    },
    exec: deps.exec,
    page: () => browser.newPage(),
    signal,
  });
  const rows: CheckRow[] = [];
  try {
    for (const file of files) {
      if (deps.signal.aborted) break;
      const base =
        file
          .split('/')
          .pop()
          ?.replace(/\.check\.(ts|mjs|js)$/, '') ?? file;
      let mod: Record<string, unknown>;
      try {
        mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      } catch (err) {
        // The operator's check file does not load: one row says so, and the other files still run.
        const detail = `could not load ${file}: ${(err as Error).message?.split('\n')[0]}`;
        rows.push(rowFromFact(base, { source: 'custom-check', what: 'did-not-load' }, { detail }));
        continue;
      }
      for (const [name, fn] of Object.entries(mod)) {
        if (typeof fn !== 'function' || deps.signal.aborted) continue;
        const started = Date.now();
        const signal = AbortSignal.any([deps.signal, AbortSignal.timeout(CUSTOM_CHECK_TIMEOUT_MS)]);
        try {
          const detail = await bounded(
            (fn as (c: CheckContext) => unknown)(contextFor(signal)),
            `${base}.${name}`,
            signal,
            deps.signal,
          );
          rows.push({
            name: `${base}.${name}`,
            status: 'pass',
            detail: typeof detail === 'string' ? detail : undefined,
            durationMs: Date.now() - started,
          });
        } catch (err) {
          rows.push(
            rowFromError(
              `${base}.${name}`,
              asCheckOutcome(err, appBaseUrl(deps.ingress, deps.domain)),
              deps.signal,
              started,
            ),
          );
        }
      }
    }
  } finally {
    await browser.close();
  }
  return rows;
}
