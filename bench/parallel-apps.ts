// bench/parallel-apps: the full lifecycle (install, upgrade, backup, recipe-local, lint) of the
// static fixture (custom-html, with its spec and custom checks from testbed/fixtures/specs) with
// runner.parallelApps on against off, paired and alternated (the order flips every round).
// Prints the median wall times, their ratio parallel ÷ serial (goal ≤ 0.75), and where the time
// went in one run of each: every stage's start and end from the events file, and the settle
// phase (logs, teardown, results) after the last stage. Every run must pass. In smoke mode
// (bench/smoke.ts) one round of install and upgrade only, the two stages whose apps run side by
// side, which is what runner.parallelApps changes.
import { mkdtempSync } from 'node:fs';
import type { RunEventLine } from '../src/model/run-events.js';
import { makeFixtureRepos } from '../testbed/fixtures/make-recipes.js';
import { configWith, median, readEvents, rounds, seconds, startRun } from './lib.js';
import { smoke } from './smoke.js';

const GOAL = 0.75;
const repos = await makeFixtureRepos(mkdtempSync('/tmp/cc-ci-bench-'), ['custom-html']);
const repo = repos['custom-html']!;
const configs = { parallel: configWith({ parallelApps: true }), serial: configWith({ parallelApps: false }) };
type Mode = keyof typeof configs;

async function lifecycle(mode: Mode): Promise<{ ms: number; events: RunEventLine[]; runId: string }> {
  const started = process.hrtime.bigint();
  const stages = smoke ? ['--stages', 'install,upgrade'] : [];
  const run = startRun(['custom-html', '--repo', repo.url, '--ref', 'main', ...stages], configs[mode], `par-${mode}`);
  const { code, results, stderr } = await run.done;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (code !== 0 || results?.verdict !== 'pass') {
    throw new Error(
      `${mode} run ${run.runId} did not pass (exit ${code}, verdict ${results?.verdict}): ` +
        `${JSON.stringify(results?.stages.map((s) => `${s.name} ${s.status}${s.reason ? ` (${s.reason})` : ''}`))}` +
        `\n${stderr.slice(-2000)}`,
    );
  }
  return { ms, events: readEvents(run.events), runId: run.runId };
}

/** Each stage's start and end (seconds after run-started) and the settle phase, as table lines. */
function timeline(events: RunEventLine[]): string[] {
  const at = (e: RunEventLine) => Date.parse(e.at);
  const t0 = at(events.find((e) => e.type === 'run-started')!);
  const rel = (ms: number) => `${((ms - t0) / 1000).toFixed(1).padStart(6)} s`;
  const lines: string[] = [];
  const firstStage = events.find((e) => e.type === 'stage-started');
  if (firstStage)
    lines.push(
      `    ${'prepare (clone, plan)'.padEnd(22)} ${rel(t0)} → ${rel(at(firstStage))}  ` +
        `${seconds(at(firstStage) - t0).padStart(8)}`,
    );
  for (const s of events.filter((e) => e.type === 'stage-started')) {
    if (s.type !== 'stage-started') continue;
    const end = events.find((e) => e.type === 'stage-finished' && e.stage === s.stage)!;
    lines.push(`    ${s.stage.padEnd(22)} ${rel(at(s))} → ${rel(at(end))}  ${seconds(at(end) - at(s)).padStart(8)}`);
  }
  const lastStage = Math.max(...events.filter((e) => e.type === 'stage-finished').map(at));
  const finished = at(events.find((e) => e.type === 'run-finished')!);
  lines.push(
    `    ${'settle (logs, teardown)'.padEnd(22)} ${rel(lastStage)} → ${rel(finished)}  ` +
      `${seconds(finished - lastStage).padStart(8)}`,
  );
  return lines;
}

const times: Record<Mode, number[]> = { parallel: [], serial: [] };
const sample: Partial<Record<Mode, { events: RunEventLine[]; runId: string }>> = {};
for (let i = 0; i < rounds; i++) {
  const order: Mode[] = i % 2 === 0 ? ['parallel', 'serial'] : ['serial', 'parallel'];
  for (const mode of order) {
    const r = await lifecycle(mode);
    times[mode].push(r.ms);
    sample[mode] ??= r;
    process.stderr.write(`round ${i + 1}/${rounds}: ${mode} ${seconds(r.ms)} (run ${r.runId})\n`);
  }
}

const ratio = median(times.parallel) / median(times.serial);
const scope = smoke ? ' (smoke: install and upgrade only)' : '';
console.log(
  `parallel apps${scope}: parallel median ${seconds(median(times.parallel))}, ` +
    `serial median ${seconds(median(times.serial))}, ratio parallel / serial ${ratio.toFixed(3)} ` +
    `(goal <= ${GOAL}): ${ratio <= GOAL ? 'met' : 'MISSED'}`,
);
for (const mode of ['parallel', 'serial'] as const) {
  console.log(`  ${mode} run ${sample[mode]!.runId} (wall ${seconds(times[mode][0]!)}), from its events file:`);
  for (const line of timeline(sample[mode]!.events)) console.log(line);
}
