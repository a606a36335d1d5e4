// The local executor against a stand-in `cc-ci run` (a small script that keeps the child
// contract: events file, lease with its pid, stop reason read on SIGTERM, exit 3): events stream
// in and replay, a stop tells the reason and the run reports it, a kill ends a run that ignores
// the stop, and after a "restart" another executor finds a surviving run by its lease.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Execution } from '../../../src/executors/executor.js';
import { localExecutor, runArgs } from '../../../src/executors/local/local-executor.js';
import { createLogger } from '../../../src/log/create-logger.js';
import type { RunEventLine } from '../../../src/model/run-events.js';
import { runFolder } from '../../../src/model/run-folder.js';
import type { RunRecord } from '../../../src/model/run.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';

// argv: run <recipe> --ref R --repo U --run-id ID --events FILE --config CFG. Recipe `quick`
// finishes at once, `stubborn` ignores SIGTERM; any other tears down when stopped.
const STAND_IN = String.raw`
import fs from 'node:fs';
import path from 'node:path';
const argv = process.argv.slice(2);
const arg = (name) => argv[argv.indexOf(name) + 1];
const recipe = argv[1], runId = arg('--run-id'), events = arg('--events');
const runDir = path.dirname(events);
const store = path.dirname(path.dirname(runDir));
let seq = 0;
const emit = (e) => fs.appendFileSync(events,
  JSON.stringify({ runId, seq: ++seq, at: new Date().toISOString(), ...e }) + '\n');
const lease = path.join(store, 'leases', runId + '.json');
fs.mkdirSync(path.dirname(lease), { recursive: true });
const startedAt = new Date().toISOString();
fs.writeFileSync(lease, JSON.stringify({ runId, pid: process.pid, startedAt, apps: ['a.ci.test'] }));
const finish = (code, error) => {
  const results = { verdict: code === 0 ? 'pass' : 'error', level: code === 0 ? 1 : 0, error, stages: [] };
  fs.mkdirSync(path.join(runDir, 'artifacts'), { recursive: true });
  fs.writeFileSync(path.join(runDir, 'artifacts', 'results.json'), JSON.stringify(results));
  emit({ type: 'run-finished', exitCode: code, results });
  fs.rmSync(lease, { force: true });
  process.exit(code);
};
emit({ type: 'run-started', recipe, ref: arg('--ref'), stages: [], pid: process.pid });
emit({ type: 'app-claimed', domain: 'a.ci.test', stack: 'a_ci_test', role: 'install' });
if (recipe === 'quick') finish(0);
process.on('SIGTERM', () => {
  if (recipe === 'stubborn') return;
  const reason = JSON.parse(fs.readFileSync(path.join(runDir, 'stop-reason.json'), 'utf8'));
  emit({ type: 'app-released', domain: 'a.ci.test', kept: false, left: [] });
  finish(3, reason);
});
setInterval(() => fs.utimesSync(lease, new Date(), new Date()), 1000);
`;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'cc-ci-local-'));
  const cli = join(dir, 'stand-in-cli.mjs');
  writeFileSync(cli, STAND_IN);
  const log = createLogger({ secrets: new SecretRegistry(), console: false }).log;
  const store = join(dir, 'store');
  const configPath = join(dir, 'cc-ci.yml');
  const executor = () => localExecutor({ storeDir: store, configPath, log, cli, env: { PATH: process.env.PATH } });
  return { executor };
}

let n = 0;
const runOf = (recipe: string): RunRecord => ({
  id: `run-${++n}`,
  recipe,
  repo: 'file:///srv/x',
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind: 'api' },
  state: 'queued',
  createdAt: new Date().toISOString(),
});

function collect(execution: Execution): RunEventLine[] {
  const seen: RunEventLine[] = [];
  execution.onEvent((e) => seen.push(e));
  return seen;
}

async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !probe();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('local executor', () => {
  it('streams the events, replays them to a late listener, and stops with the reason', async () => {
    const { executor } = setup();
    const execution = executor().start(runOf('site'));
    expect(execution.pid).toBeGreaterThan(0);
    const seen = collect(execution);
    await until('the claim', () => seen.some((e) => e.type === 'app-claimed'));
    execution.stop({ code: 'CANCELLED', message: 'cancelled from the dashboard' });
    const end = await execution.ended;
    expect(end).toMatchObject({
      code: 3,
      signal: null,
      results: { verdict: 'error', error: { code: 'CANCELLED', message: 'cancelled from the dashboard' } },
    });
    expect(seen.map((e) => e.type)).toEqual(['run-started', 'app-claimed', 'app-released', 'run-finished']);
    expect(collect(execution).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('kills a run that does not stop', async () => {
    const { executor } = setup();
    const execution = executor().start(runOf('stubborn'));
    const seen = collect(execution);
    await until('the claim', () => seen.some((e) => e.type === 'app-claimed'));
    execution.stop({ code: 'TIMED_OUT', message: 'too slow' });
    await new Promise((r) => setTimeout(r, 300));
    execution.kill();
    expect(await execution.ended).toEqual({ code: null, signal: 'SIGKILL', results: undefined });
  });

  it('after a restart, finds a surviving run by its lease, replays its events and stops it', async () => {
    const { executor } = setup();
    const run = runOf('site');
    const first = executor().start(run);
    const seen = collect(first);
    await until('the claim', () => seen.some((e) => e.type === 'app-claimed'));
    // The server that started it is gone; a new one finds it again.
    const again = executor().reattach({ ...run, state: 'running' });
    expect(again).toMatchObject({ alive: true, pid: first.pid });
    const replayed = collect(again);
    expect(replayed.map((e) => e.type)).toEqual(['run-started', 'app-claimed']);
    again.stop({ code: 'CANCELLED', message: 'the server restarted while the run was going' });
    const end = await again.ended;
    expect(end.results?.error).toEqual({ code: 'CANCELLED', message: 'the server restarted while the run was going' });
    expect(replayed.map((e) => e.type)).toEqual(['run-started', 'app-claimed', 'app-released', 'run-finished']);
    await first.ended;
  });

  it('after a restart, a run whose child is gone is not alive, and its events are all there', async () => {
    const { executor } = setup();
    const run = runOf('quick');
    expect((await executor().start(run).ended).code).toBe(0);
    const again = executor().reattach({ ...run, state: 'running' });
    expect(again.alive).toBe(false);
    expect(again.pid).toBeUndefined();
    const end = await again.ended;
    expect(end.results?.verdict).toBe('pass');
    expect(collect(again).map((e) => e.type)).toEqual(['run-started', 'app-claimed', 'run-finished']);
    // Stopping what is gone signals nothing.
    expect(() => again.stop({ code: 'CANCELLED', message: 'nothing to stop' })).not.toThrow();
  });
});

describe("the child's command line", () => {
  const run = (over: Partial<RunRecord>): RunRecord => ({
    id: 'r1',
    recipe: 'custom-html',
    repo: 'https://git.example.org/coop-cloud/custom-html.git',
    ref: 'refs/pull/7/head',
    stages: [],
    keep: false,
    trigger: { kind: 'forge' },
    state: 'queued',
    createdAt: new Date(0).toISOString(),
    ...over,
  });
  const folder = runFolder('/store', 'r1');

  it('pins the child to the run’s commit with --sha, and leaves it out when the run has none', () => {
    const sha = 'b'.repeat(40);
    const args = runArgs(run({ sha }), folder, '/etc/cc-ci.yml', 'cli.js');
    expect(args.slice(0, 7)).toEqual(['cli.js', 'run', 'custom-html', '--ref', 'refs/pull/7/head', '--sha', sha]);
    expect(runArgs(run({}), folder, '/etc/cc-ci.yml', 'cli.js')).not.toContain('--sha');
  });
});
