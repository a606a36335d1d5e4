// Shared pieces of the benchmarks that drive the real `cc-ci run` on the testbed: a config like
// testbed/cc-ci.yml with overrides, a run started as a child process, its events file and run.log.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { RunResults } from '../src/model/results.js';
import { parseEvents, type RunEventLine } from '../src/model/run-events.js';
import { knob } from './smoke.js';

export const root = resolve(fileURLToPath(import.meta.url), '../../..');
export const cli = join(root, 'dist/src/cli.js');
export const testbedConfig = join(root, 'testbed/cc-ci.yml');
export const store = (parse(readFileSync(testbedConfig, 'utf8')) as { store: string }).store;
/** BENCH_ROUNDS, 3 by default, 1 in smoke mode (bench/smoke.ts). */
export const rounds = knob('BENCH_ROUNDS', 3, 1);

/** The testbed config (as test/e2e/helpers.ts configWith makes it), with overrides. */
export function configWith(overrides: { recipesDir?: string; parallelApps?: boolean } = {}): string {
  const doc = parse(readFileSync(testbedConfig, 'utf8'));
  doc.swarm.abra = join(root, 'testbed/bin/abra');
  doc.recipesDir = overrides.recipesDir ?? join(root, 'testbed/fixtures/specs');
  if (overrides.parallelApps !== undefined) doc.runner.parallelApps = overrides.parallelApps;
  const file = join(mkdtempSync('/tmp/cc-ci-bench-cfg-'), 'cc-ci.yml');
  writeFileSync(file, stringify(doc));
  return file;
}

export interface StartedRun {
  child: ChildProcess;
  runId: string;
  events: string;
  /** Resolves when the process has exited, with its exit code and the results it printed (--json). */
  done: Promise<{ code: number | null; results?: RunResults; stderr: string }>;
}

/** `cc-ci run <args> --json --run-id <id> --events <file> --config <config>` as a child process. */
export function startRun(args: string[], config: string, tag: string): StartedRun {
  const runId = `bench-${tag}-${Date.now()}`;
  const events = join(mkdtempSync('/tmp/cc-ci-bench-events-'), 'events.jsonl');
  const child = spawn(
    process.execPath,
    [cli, 'run', ...args, '--json', '--run-id', runId, '--events', events, '--config', config],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<{ code: number | null; results?: RunResults; stderr: string }>((ok) => {
    child.on('close', (code) => {
      let results: RunResults | undefined;
      try {
        results = JSON.parse(stdout) as RunResults;
      } catch {
        /* no results printed */
      }
      ok({ code, results, stderr });
    });
  });
  return { child, runId, events, done };
}

export function readEvents(file: string): RunEventLine[] {
  return existsSync(file) ? parseEvents(readFileSync(file, 'utf8')) : [];
}

export interface LogLine {
  time: number;
  msg: string;
  [k: string]: unknown;
}

/** The run's pino JSON lines (run.log), each with its time in ms. */
export function logLines(runId: string): LogLine[] {
  const file = join(store, 'runs', runId, 'artifacts', 'run.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return l ? [JSON.parse(l) as LogLine] : [];
      } catch {
        return [];
      }
    });
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 180_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
