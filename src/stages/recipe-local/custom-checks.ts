// Custom checks: `recipes/<recipe>/*.check.ts` files of cc-ci's own recipes folder (operator
// code, not the PR's). Every exported function is a check; it receives a context, throws to fail,
// and may return a line of detail.
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { errorMessage } from '../../errors.js';
import type { CheckRow } from '../../model/stage.js';
import type { ExecResult } from '../../harness/docker.js';
import { AppBrowser } from '../checks/browser.js';
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
}

export interface CustomCheckDeps {
  recipe: string;
  domain: string;
  ingress: string;
  exec: (service: string, cmd: string[]) => Promise<ExecResult>;
}

let unregister: (() => Promise<void>) | undefined;

// A custom check that hangs must not hang the run.
const CHECK_TIMEOUT_MS = 5 * 60_000;

function withTimeout<T>(work: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 60_000} min`)), ms);
  });
  return Promise.race([Promise.resolve(work), deadline]).finally(() => clearTimeout(timer));
}

export async function runCustomChecks(files: string[], deps: CustomCheckDeps): Promise<CheckRow[]> {
  if (files.length === 0) return [];
  // Loaded on first use: most runs have no custom checks.
  unregister ??= (await import('tsx/esm/api')).register();
  // Chromium starts only if a check asks for a page.
  const browser = new AppBrowser(deps.ingress, deps.domain);
  const ctx: CheckContext = {
    recipe: deps.recipe,
    domain: deps.domain,
    baseUrl: appBaseUrl(deps.ingress, deps.domain),
    async fetch(path) {
      const res = await requestViaIngress(deps.ingress, deps.domain, path);
      return new Response(res.body, { status: res.status });
    },
    exec: deps.exec,
    page: () => browser.newPage(),
  };
  const rows: CheckRow[] = [];
  try {
    for (const file of files) {
      const mod = await import(pathToFileURL(file).href) as Record<string, unknown>;
      const base = file.split('/').pop()?.replace(/\.check\.(ts|mjs|js)$/, '') ?? file;
      for (const [name, fn] of Object.entries(mod)) {
        if (typeof fn !== 'function') continue;
        const started = Date.now();
        try {
          const detail = await withTimeout((fn as (c: CheckContext) => unknown)(ctx), CHECK_TIMEOUT_MS, `${base}.${name}`);
          rows.push({ name: `${base}.${name}`, status: 'pass', detail: typeof detail === 'string' ? detail : undefined, durationMs: Date.now() - started });
        } catch (err) {
          rows.push({ name: `${base}.${name}`, status: 'fail', detail: errorMessage(err).split('\n')[0], durationMs: Date.now() - started });
        }
      }
    }
  } finally {
    await browser.close();
  }
  return rows;
}
