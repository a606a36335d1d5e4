// Shared pieces of the HTTP benchmarks: a config and a file store filled like a busy cc-ci, a
// fake RunControl (nothing is run), the server in a process of its own (so the load generator
// and the server each have a core), and a load run with autocannon that records every latency.
// Everything listens on and talks to 127.0.0.1 only.
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StageName, StageResult } from '../src/model/stage.js';
import type { TriggeredRequest, RunState } from '../src/model/run.js';
import { RunStore } from '../src/queue/store.js';

/** A cc-ci.yml for a server on 127.0.0.1 with its store under `dir`; the admin token comes from CCCI_ADMIN_TOKEN. */
export function writeConfig(dir: string, opts: { port?: number; repos?: string[] } = {}): string {
  mkdirSync(join(dir, 'recipes'), { recursive: true });
  mkdirSync(join(dir, 'abra', 'servers', 'ci.example.org'), { recursive: true });
  const file = join(dir, 'cc-ci.yml');
  writeFileSync(
    file,
    [
      `forge: {type: gitea, url: "https://git.example.org", org: coop-cloud, ` +
        `repos: [${(opts.repos ?? []).map((r) => JSON.stringify(r)).join(', ')}]}`,
      `swarm: {server: ci.example.org, domain: ci.example.org, abraDir: ${JSON.stringify(join(dir, 'abra'))}}`,
      `store: ${JSON.stringify(join(dir, 'store'))}`,
      `recipesDir: ${JSON.stringify(join(dir, 'recipes'))}`,
      `dashboard: {listen: "127.0.0.1:${opts.port ?? 0}", publicUrl: "http://127.0.0.1:${opts.port ?? 8080}"}`,
      '',
    ].join('\n'),
  );
  return file;
}

export const tempDir = (tag: string) => mkdtempSync(`/tmp/cc-ci-bench-${tag}-`);

export const recipeName = (i: number) => `recipe-${String(i).padStart(3, '0')}`;

const stageList: StageName[] = ['install', 'upgrade', 'backup', 'recipe-local', 'lint'];

function stageResults(verdict: 'pass' | 'fail' | 'error', i: number): StageResult[] {
  const failAt = verdict === 'pass' ? -1 : i % 5;
  return stageList.map((name, s): StageResult => {
    const status = s < failAt || failAt < 0 ? 'pass' : s === failAt ? (verdict === 'fail' ? 'fail' : 'error') : 'skip';
    const checks =
      status === 'skip'
        ? []
        : Array.from({ length: 6 }, (_, c) => ({
            name: `${name}: check ${c + 1} GET /path/${c}`,
            status: (status === 'pass' || c < 5 ? 'pass' : status) as 'pass' | 'fail' | 'error',
            detail: `GET https://${name}-abc123.ci.example.org/path/${c} -> 200 in ${10 + c} ms, title "Welcome"`,
            durationMs: 10 + c,
            artifact: c === 0 && name === 'install' ? 'install-screenshot.png' : undefined,
          }));
    return {
      name,
      status,
      checks,
      durationMs: 5_000 + ((i * 7919 + s * 104_729) % 120_000),
      reason:
        status === 'pass'
          ? undefined
          : status === 'skip'
            ? 'not run: it needs a passing install'
            : `${name} broke: the check saw the wrong thing`,
      code: status === 'fail' ? 'CHECK_FAILED' : status === 'error' ? 'DOCKER_FAILED' : undefined,
      advisory: name === 'lint' ? true : undefined,
    };
  });
}

/**
 * Fills a store like a busy cc-ci: `runs` runs spread over `recipes` recipes and two years,
 * mostly PR runs, every final state; stage and check rows for the newest `withStages` runs.
 * The last few runs are queued or running. Returns the id of a recent finished run with stages.
 */
export function fillStore(
  store: RunStore,
  opts: { recipes: number; runs: number; withStages: number },
): { sampleRun: string } {
  const start = Date.parse('2024-01-01T00:00:00Z');
  const step = Math.floor((2 * 365 * 86_400_000) / opts.runs);
  let sampleRun = '';
  store.bulk(() => {
    for (let i = 0; i < opts.runs; i++) {
      const recipe = recipeName(i % opts.recipes);
      const pr = i % 10 < 7 ? 1 + (i % 97) : undefined;
      const created = new Date(start + i * step);
      const id = `${created
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}-${(i % 65_536).toString(16).padStart(4, '0')}`;
      const req: TriggeredRequest = {
        recipe,
        repo: `https://git.example.org/coop-cloud/${recipe}.git`,
        ref: pr ? `refs/pull/${pr}/head` : 'main',
        pr,
        stages: [],
        keep: false,
        trigger: pr
          ? { kind: 'forge', by: `user${i % 13}`, forgeRepo: `coop-cloud/${recipe}`, commentId: i }
          : { kind: 'api' },
      };
      store.insertRun(id, req, created);
      const tail = opts.runs - i;
      if (tail <= 3) continue; // queued
      store.markRunning(id, 10_000 + i, new Date(created.getTime() + 1_000));
      if (tail <= 5) {
        store.setCurrentStage(id, 'upgrade');
        continue;
      } // running
      const roll = i % 20;
      const state: RunState =
        roll < 12 ? 'passed' : roll < 16 ? 'failed' : roll < 18 ? 'errored' : roll < 19 ? 'superseded' : 'cancelled';
      const verdict = state === 'passed' ? 'pass' : state === 'failed' ? 'fail' : 'error';
      const level = state === 'passed' ? 3 + (i % 3) : state === 'failed' ? i % 3 : 0;
      if (tail <= opts.withStages + 5) {
        for (const s of stageResults(verdict, i)) store.recordStage(id, s);
        if (!sampleRun && state === 'failed') sampleRun = id;
      }
      store.finishRun(
        id,
        {
          state,
          verdict,
          level,
          sha: ((i * 2_654_435_761) >>> 0).toString(16).padStart(8, '0').repeat(5),
          error:
            verdict === 'error'
              ? {
                  code: state === 'superseded' ? 'SUPERSEDED' : state === 'cancelled' ? 'CANCELLED' : 'DOCKER_FAILED',
                  message: `the run ended: ${state}`,
                }
              : undefined,
        },
        new Date(created.getTime() + 600_000),
      );
    }
  });
  return { sampleRun };
}

/**
 * A filled store at `file` (its folder is made). Filling 100 000 runs through the store takes
 * about a minute, so the filled database is kept in /tmp and copied for each benchmark
 * (BENCH_FRESH=1 fills anew).
 */
export function filledStore(
  file: string,
  opts: { recipes: number; runs: number; withStages: number },
): { sampleRun: string; fillMs: number } {
  const cached = `/tmp/cc-ci-bench-fixture-${opts.recipes}-${opts.runs}-${opts.withStages}-v1.db`;
  const started = Date.now();
  if (!existsSync(cached) || !existsSync(`${cached}.json`) || process.env.BENCH_FRESH === '1') {
    const building = `${cached}.${process.pid}.tmp`;
    const store = new RunStore(building);
    const { sampleRun } = fillStore(store, opts);
    store.close();
    writeFileSync(`${cached}.json`, JSON.stringify({ sampleRun }));
    renameSync(building, cached);
  }
  mkdirSync(join(file, '..'), { recursive: true });
  copyFileSync(cached, file);
  const { sampleRun } = JSON.parse(readFileSync(`${cached}.json`, 'utf8')) as { sampleRun: string };
  return { sampleRun, fillMs: Date.now() - started };
}

/** What the parent tells the server process. */
export type ServerMessage = { type: 'finish'; id: string; state: RunState };

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  send(msg: ServerMessage): void;
  stop(): Promise<void>;
}

/**
 * Starts bench/fixture-server in a process of its own on 127.0.0.1: the full server
 * (buildServer) or only the routes of `bare` (for a route measured before the pages exist).
 */
export function startServer(opts: {
  config: string;
  storeFile: string;
  mode: 'full' | 'bare';
  env?: NodeJS.ProcessEnv;
}): Promise<ServerProcess> {
  const here = fileURLToPath(import.meta.url);
  const script = join(here, '..', `fixture-server${here.endsWith('.ts') ? '.ts' : '.js'}`);
  const child = fork(script, [opts.config, opts.storeFile, opts.mode], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...opts.env },
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it listened`)));
    child.once('message', (m: { port: number }) => {
      child.removeAllListeners('exit');
      resolve({
        url: `http://127.0.0.1:${m.port}`,
        child,
        send: (msg) => child.send(msg),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

export interface Load {
  requestsPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  errors: number;
}

/** `connections` clients hammering `url` for `seconds`; latencies (ms) of every response. */
export async function load(
  url: string,
  opts: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<Load> {
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    headers: opts.headers,
    timeout: 10,
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return {
    requestsPerSec: result.requests.total / result.duration,
    p50: pct(0.5),
    p95: pct(0.95),
    p99: pct(0.99),
    max: latencies[latencies.length - 1] ?? NaN,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
