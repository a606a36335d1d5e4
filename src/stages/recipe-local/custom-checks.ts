// Custom checks: `recipes/<recipe>/*.check.ts` files of cc-ci's own recipes folder (operator
// code, not the PR's). Every exported function is a check; it receives a context, throws to fail,
// and may return a line of detail. What a check throws is the recipe's failure, except cc-ci's
// own errors (Docker, the ingress, Chromium) and a stopped run, which `blame` makes `error`.
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { CcciError, RecipeFailure } from '../../errors.js';
import { rowFromError } from '../../model/blame.js';
import type { CheckRow } from '../../model/stage.js';
import type { ExecResult } from '../../harness/docker.js';
import { AppBrowser, classifyBrowserError } from '../checks/browser.js';
import { appBaseUrl, requestViaIngress } from '../checks/ingress-request.js';

/** What a custom check receives (documented in docs/writing-tests.md). */
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
  /** Aborts when the run is stopped: pass it to anything long the check does. */
  signal: AbortSignal;
}

export interface CustomCheckDeps {
  recipe: string;
  domain: string;
  ingress: string;
  exec: (service: string, cmd: string[]) => Promise<ExecResult>;
  signal: AbortSignal;
}

let unregister: (() => Promise<void>) | undefined;

// A custom check that hangs must not hang the run.
export const CUSTOM_CHECK_TIMEOUT_MS = 5 * 60_000;

/** The check's own promise, ended early by its time limit or by the run being stopped. */
function bounded<T>(work: Promise<T> | T, ms: number, what: string, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RecipeFailure('CHECK_FAILED', `${what} did not finish within ${ms / 60_000} min`)), ms);
    onAbort = () => reject(new CcciError('CANCELLED', `${what}: stopped`));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([Promise.resolve(work), cut]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  });
}

/** A check throwing is the check failing, unless cc-ci's own plumbing is what threw. */
function asCheckOutcome(err: unknown, baseUrl: string): unknown {
  if (err instanceof CcciError || err instanceof RecipeFailure) return err;
  const classified = classifyBrowserError(err, baseUrl);
  return classified instanceof CcciError ? classified : new RecipeFailure('CHECK_FAILED', (err as Error)?.message ?? String(err), { cause: err });
}

export async function runCustomChecks(files: string[], deps: CustomCheckDeps): Promise<CheckRow[]> {
  if (files.length === 0) return [];
  // Loaded on first use: most runs have no custom checks.
  unregister ??= (await import('tsx/esm/api')).register();
  // Chromium starts only if a check asks for a page.
  const browser = new AppBrowser(deps.ingress, deps.domain, deps.signal);
  const ctx: CheckContext = {
    recipe: deps.recipe,
    domain: deps.domain,
    baseUrl: appBaseUrl(deps.ingress, deps.domain),
    async fetch(path) {
      const res = await requestViaIngress(deps.ingress, deps.domain, path, { signal: deps.signal });
      return new Response(res.body, { status: res.status });
    },
    exec: deps.exec,
    page: () => browser.newPage(),
    signal: deps.signal,
  };
  const rows: CheckRow[] = [];
  try {
    for (const file of files) {
      if (deps.signal.aborted) break;
      const mod = await import(pathToFileURL(file).href) as Record<string, unknown>;
      const base = file.split('/').pop()?.replace(/\.check\.(ts|mjs|js)$/, '') ?? file;
      for (const [name, fn] of Object.entries(mod)) {
        if (typeof fn !== 'function' || deps.signal.aborted) continue;
        const started = Date.now();
        try {
          const detail = await bounded((fn as (c: CheckContext) => unknown)(ctx), CUSTOM_CHECK_TIMEOUT_MS, `${base}.${name}`, deps.signal);
          rows.push({ name: `${base}.${name}`, status: 'pass', detail: typeof detail === 'string' ? detail : undefined, durationMs: Date.now() - started });
        } catch (err) {
          rows.push(rowFromError(`${base}.${name}`, asCheckOutcome(err, ctx.baseUrl), deps.signal, started));
        }
      }
    }
  } finally {
    await browser.close();
  }
  return rows;
}
