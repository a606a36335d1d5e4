// Starting the real `cc-ci serve` on the testbed for end-to-end tests: its own store, a free
// port on 127.0.0.1, an admin token, and helpers to call its API.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { parse, stringify } from 'yaml';
import { parseEvents } from '../../src/model/run-events.js';
import { cli, lane, repoRoot, waitFor } from './helpers.js';

export const adminToken = 'e2e-admin-token-7f3a9c-0123456789ab';

export interface ServeInstance {
  url: string;
  store: string;
  config: string;
  process: ResultPromise<{ reject: false }>;
  /** Starts serve again on the same store and port (after a kill). */
  restart(): Promise<ServeInstance>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A config like the lane's (its swarm.domain), with its own store and listen address. */
export async function serveConfig(
  overrides: { capacity?: number; teardownBudget?: string } = {},
): Promise<{ file: string; store: string; port: number }> {
  const doc = parse(readFileSync(lane.config, 'utf8'));
  const dir = mkdtempSync('/tmp/cc-ci-serve-');
  const port = await freePort();
  doc.swarm.abra = join(repoRoot, 'testbed/bin/abra');
  doc.recipesDir = join(repoRoot, 'testbed/fixtures/specs');
  doc.store = join(dir, 'store');
  doc.runner.capacity = overrides.capacity ?? 2;
  if (overrides.teardownBudget) doc.runner.teardownBudget = overrides.teardownBudget;
  doc.dashboard = {
    listen: `127.0.0.1:${port}`,
    publicUrl: `http://127.0.0.1:${port}`,
    // The fixture repositories (helpers.ts fixtures()) live in /tmp; POST /api/runs takes them from there.
    allowedRepoOrigins: ['file:///tmp/'],
  };
  const file = join(dir, 'cc-ci.yml');
  writeFileSync(file, stringify(doc));
  return { file, store: doc.store, port };
}

export async function startServe(
  cfg: { file: string; store: string; port: number },
  env: Record<string, string> = {},
): Promise<ServeInstance> {
  // The server's own log, kept beside its config for whoever debugs a failing test.
  const logFile = join(dirname(cfg.file), 'serve.log');
  const proc = execa(process.execPath, [cli, 'serve', '--config', cfg.file], {
    reject: false,
    env: { CCCI_ADMIN_TOKEN: adminToken, ...env },
    stdout: { file: logFile, append: true },
    stderr: { file: logFile, append: true },
  });
  const url = `http://127.0.0.1:${cfg.port}`;
  await waitFor(
    'serve to answer /healthz',
    async () => {
      if (proc.exitCode !== null && proc.exitCode !== undefined)
        throw new Error(`serve exited ${proc.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
      try {
        return (await fetch(`${url}/healthz`)).ok || undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
  );
  return { url, store: cfg.store, config: cfg.file, process: proc, restart: () => startServe(cfg, env) };
}

export async function api<T = Record<string, unknown>>(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith('{') ? JSON.parse(text) : text) as T };
}

export interface ApiRun {
  id: string;
  state: string;
  verdict?: string;
  level?: number;
  supersededBy?: string;
  error?: { code: string; message: string };
  currentStage?: string;
}

export async function runUntil(
  base: string,
  id: string,
  done: (r: ApiRun) => boolean,
  timeoutMs = 240_000,
): Promise<ApiRun> {
  return waitFor(
    `run ${id} to reach the expected state`,
    async () => {
      const r = await api<ApiRun>(base, `/api/runs/${id}`);
      return done(r.body) ? r.body : undefined;
    },
    timeoutMs,
  );
}

/** The stacks a run claimed, from its events file. */
export function claimedStacks(store: string, id: string): string[] {
  const file = join(store, 'runs', id, 'events.jsonl');
  return existsSync(file)
    ? parseEvents(readFileSync(file, 'utf8')).flatMap((e) => (e.type === 'app-claimed' ? [e.stack] : []))
    : [];
}

export const finished = (r: ApiRun) => !['queued', 'running'].includes(r.state);
