// bench/cancel-latency: how soon a stopped run starts tearing down. A real `cc-ci run` is sent
// SIGTERM at three awkward moments, and the time from the kill to the run's `teardown` log line
// (run.log, pino `time` in ms) is measured; every stopped run must exit 3. Goal: ≤ 15 s each.
//   install    pg-app --quick, while cc-ci waits for the stack to converge
//   browser    a browser check whose page never finishes loading (see hangingPage below)
//   check      a custom check that sleeps ten minutes and ignores signals (as test/e2e/signals.test.ts)
// BENCH_ROUNDS rounds each (default 3).
import { existsSync, readdirSync, readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { commitOnBranch, makeFixtureRepos, type FixtureRepo } from '../testbed/fixtures/make-recipes.js';
import {
  configWith,
  logLines,
  median,
  readEvents,
  root,
  testbedConfig,
  rounds,
  seconds,
  sleep,
  startRun,
  waitFor,
  type StartedRun,
} from './lib.js';

const GOAL_MS = 15_000;
const repos = await makeFixtureRepos(mkdtempSync('/tmp/cc-ci-bench-'), ['pg-app', 'custom-html']);
const ingressPort = new URL(
  (parse(readFileSync(testbedConfig, 'utf8')) as { swarm: { ingress: string } }).swarm.ingress,
).port;

// (b) A page that hangs. Nothing the custom-html fixture serves is slow, so the bench commits a
// branch whose nginx.conf adds `location = /hang`: a 2 KB HTML answer sent at 1 byte a second
// (nginx `limit_rate 1`, which paces the headers too; 2 KB is near nginx's limit for one
// parameter). Chromium's `page.goto(…, {waitUntil: 'load'})` then waits until its own 30 s
// limit, with an open connection and no CPU burnt. The events file has no event for a check,
// so the moment is found from outside: the install stage has started (events) and a Chromium
// process of this run holds an established TCP connection to the ingress. Chromium opens none
// before its first page (it is only warmed while the stack converges, background networking
// off) and the spec's only check is the hanging one, so that connection is the hanging load;
// then one more second. The results must show the browser check's row ended CANCELLED, or the
// bench fails (so a page that did load, on a kept-alive connection, cannot pass for a hang).
async function hangingPage(repo: FixtureRepo): Promise<string> {
  const conf = readFileSync(join(root, 'testbed/fixtures/recipes/custom-html/1.1.0+1.27.2/nginx.conf'), 'utf8');
  const hang = [
    '    # bench/cancel-latency: a page that never finishes loading (2 KB at 1 byte a second).',
    '    location = /hang {',
    '        default_type text/html;',
    '        limit_rate 1;',
    `        return 200 "<!DOCTYPE html><title>hang</title><p>${'.'.repeat(2000)}</p>";`,
    '    }',
    '',
    '    # Everything else is served from the content volume.',
  ].join('\n');
  if (!conf.includes('    # Everything else is served from the content volume.'))
    throw new Error('custom-html nginx.conf changed: update bench/cancel-latency');
  await commitOnBranch(
    repo,
    'bench-hang',
    { 'nginx.conf': conf.replace('    # Everything else is served from the content volume.', hang) },
    'a page that hangs',
  );
  const specs = mkdtempSync('/tmp/cc-ci-bench-specs-');
  mkdirSync(join(specs, 'custom-html'));
  writeFileSync(
    join(specs, 'custom-html', 'ci.yml'),
    'health: {path: /, status: 200, timeout: 60s}\nchecks:\n  - browser: {path: /hang}\n',
  );
  return specs;
}

/**
 * (c) A check that ignores every signal and sleeps for ten minutes. It first writes `started` in
 * its folder, so the bench stops the run while the check is surely going, however busy the machine.
 */
function sleepingCheck(): string {
  const specs = mkdtempSync('/tmp/cc-ci-bench-specs-');
  mkdirSync(join(specs, 'custom-html'));
  writeFileSync(join(specs, 'custom-html', 'ci.yml'), 'health: {path: /, timeout: 60s}\n');
  writeFileSync(
    join(specs, 'custom-html', 'slow.check.mjs'),
    "import { writeFileSync } from 'node:fs';\n" +
      'export async function slow() {\n' +
      `  writeFileSync(${JSON.stringify(join(specs, 'started'))}, '');\n` +
      '  await new Promise((r) => setTimeout(r, 600_000));\n' +
      '}\n',
  );
  return specs;
}

/** Every process below `pid`. */
function descendants(pid: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* gone */
    }
  }
  const found = new Set<number>();
  const walk = (p: number) => {
    for (const c of children.get(p) ?? [])
      if (!found.has(c)) {
        found.add(c);
        walk(c);
      }
  };
  walk(pid);
  return found;
}

/** A Chromium of this run (not another run's: e2e tests may run alongside) is connected to the ingress. */
function chromiumLoading(pid: number): boolean {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${ingressPort} )`], {
    encoding: 'utf8',
  });
  const mine = descendants(pid);
  return [...out.matchAll(/"chrom[^"]*",pid=(\d+)/g)].some((m) => mine.has(Number(m[1])));
}

interface Situation {
  name: string;
  launch(): StartedRun;
  /** Resolves at the moment to send SIGTERM. */
  moment(run: StartedRun): Promise<void>;
  /** The check row (or step) the stop must have cut short. */
  cutShort: string;
}

const pgConfig = configWith();
const browserConfig = configWith({ recipesDir: await hangingPage(repos['custom-html']!) });
const checkSpecs = sleepingCheck();
const checkConfig = configWith({ recipesDir: checkSpecs });

const situations: Situation[] = [
  {
    name: 'install, stack converging (pg-app --quick)',
    cutShort: 'converged',
    launch: () =>
      startRun(['pg-app', '--repo', repos['pg-app']!.url, '--ref', 'main', '--quick'], pgConfig, 'cancel-install'),
    async moment(run) {
      // The install app is claimed (events), then cc-ci's convergence waiter logs its first
      // "still waiting" line for that stack: the deploy is in and the stack is converging.
      const claimed = await waitFor('the install app to be claimed', () =>
        readEvents(run.events).find((e) => e.type === 'app-claimed'),
      );
      const stack = claimed.type === 'app-claimed' ? claimed.stack : '';
      await waitFor(
        'the stack to be converging',
        () => logLines(run.runId).some((l) => l.stack === stack && l.msg.startsWith('service ')) || undefined,
      );
    },
  },
  {
    name: 'browser check, page loading (custom-html)',
    cutShort: 'browser /hang',
    launch: () =>
      startRun(
        ['custom-html', '--repo', repos['custom-html']!.url, '--ref', 'bench-hang', '--quick'],
        browserConfig,
        'cancel-browser',
      ),
    async moment(run) {
      await waitFor(
        'install to start',
        () => readEvents(run.events).some((e) => e.type === 'stage-started' && e.stage === 'install') || undefined,
      );
      await waitFor('Chromium to be loading /hang', () => chromiumLoading(run.child.pid!) || undefined, 180_000, 100);
      await sleep(1_000);
    },
  },
  {
    name: 'custom check sleeping 10 min, ignoring signals',
    cutShort: 'slow.slow',
    launch: () =>
      startRun(
        ['custom-html', '--repo', repos['custom-html']!.url, '--ref', 'main', '--stages', 'install,recipe-local,lint'],
        checkConfig,
        'cancel-check',
      ),
    async moment(run) {
      await waitFor(
        'recipe-local to start',
        () => readEvents(run.events).some((e) => e.type === 'stage-started' && e.stage === 'recipe-local') || undefined,
      );
      const started = join(checkSpecs, 'started');
      await waitFor('the slow check to start', () => existsSync(started) || undefined);
      rmSync(started);
      await sleep(1_000);
    },
  },
];

const figures: Array<{ name: string; ms: number[] }> = [];
for (const s of situations) {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const run = s.launch();
    try {
      await s.moment(run);
    } catch (err) {
      // Never leave a run behind: stop it (it tears down) before failing.
      run.child.kill('SIGTERM');
      await run.done;
      throw err;
    }
    const stoppedAt = Date.now();
    run.child.kill('SIGTERM');
    const { code, results, stderr } = await run.done;
    if (code !== 3) throw new Error(`${s.name}: run ${run.runId} exited ${code}, not 3\n${stderr.slice(-2000)}`);
    const rows = (results?.stages ?? []).flatMap((st) => st.checks);
    const cut = rows.find((r) => r.name === s.cutShort);
    if (cut?.status !== 'error' || cut.code !== 'CANCELLED') {
      throw new Error(
        `${s.name}: run ${run.runId} was not stopped during "${s.cutShort}": ` +
          `${JSON.stringify(rows.map((r) => `${r.name} ${r.status}`))}`,
      );
    }
    const teardowns = logLines(run.runId)
      .filter((l) => l.msg === 'teardown')
      .map((l) => l.time);
    if (teardowns.length === 0) throw new Error(`${s.name}: run ${run.runId} logged no teardown`);
    ms.push(Math.min(...teardowns) - stoppedAt);
    process.stderr.write(
      `${s.name}, round ${i + 1}/${rounds}: SIGTERM → teardown ${seconds(ms[i]!)} (run ${run.runId})\n`,
    );
  }
  figures.push({ name: s.name, ms });
}

for (const f of figures) {
  console.log(
    `cancel latency, ${f.name}: min ${seconds(Math.min(...f.ms))}, median ${seconds(median(f.ms))}, ` +
      `max ${seconds(Math.max(...f.ms))} over ${f.ms.length} runs (goal <= 15 s)`,
  );
}
const worst = Math.max(...figures.flatMap((f) => f.ms));
console.log(`cancel latency, worst of all: ${seconds(worst)} (goal <= 15 s): ${worst <= GOAL_MS ? 'met' : 'MISSED'}`);
