// `npm run bench:smoke`: every benchmark of package.json (each `bench:<name>` script, which runs
// `node dist/bench/<name>.js`) once in smoke mode (BENCH_SMOKE=1, bench/smoke.ts), so a bench
// that no longer runs fails CI instead of rotting. A bench passes when it exits 0 and printed its
// figure (a line on stdout); the figure itself is not judged. Three benches run at a time
// (BENCH_SMOKE_JOBS), the longest first; the testbed must be up (bash testbed/up) and dist
// built (npm run build).
// A bench/*.ts that is neither run by a bench:* script nor one of the shared modules below is
// an error too: a new bench gets its script, and so its smoke run.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
/** bench/*.ts that are not benchmarks themselves. */
const SHARED = new Set([
  'lib.ts',
  'http-fixture.ts',
  'fixture-server.ts',
  'autocannon.d.ts',
  'smoke.ts',
  'smoke-all.ts',
]);
const jobs = Number(process.env.BENCH_SMOKE_JOBS ?? 3);
/**
 * Seconds each smoke run took on the 2-core CI machine, two at a time beside the end-to-end tests
 * (measured in .ci/run; only the order depends on it): the longest start first, so that none
 * starts last and runs alone.
 */
const SECONDS: Record<string, number> = {
  'parallel-apps': 120,
  'cancel-latency': 115,
  'harness-overhead': 53,
  'api-cancel': 42,
  'idle-rss': 24,
  'webhook-latency': 15,
  'drone-dispatch': 15,
  'live-logs': 10,
  'dashboard-load': 8,
  badges: 7,
  'log-throughput': 5,
};

interface Bench {
  name: string;
  script: string;
}
interface Outcome {
  name: string;
  ok: boolean;
  ms: number;
  figure: string;
  why?: string;
}

function benches(): Bench[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const scripts = pkg.scripts;
  const found: Bench[] = [];
  const problems: string[] = [];
  for (const [key, command] of Object.entries(scripts)) {
    if (!key.startsWith('bench:') || key === 'bench:smoke') continue;
    const m = /(?:^|&& )node (dist\/bench\/[a-z0-9-]+\.js)$/.exec(command);
    if (m) found.push({ name: key.slice('bench:'.length), script: m[1]! });
    else problems.push(`${key}: expected "npm run build && node dist/bench/<name>.js", not ${JSON.stringify(command)}`);
  }
  const run = new Set(found.map((b) => b.script.replace(/^dist\/bench\//, '').replace(/\.js$/, '.ts')));
  for (const file of readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts'))) {
    if (!SHARED.has(file) && !run.has(file)) problems.push(`bench/${file} has no bench:* script in package.json`);
  }
  if (problems.length > 0) throw new Error(`bench smoke: ${problems.join('; ')}`);
  // A bench not listed may be long: it goes first.
  return found.sort((a, b) => (SECONDS[b.name] ?? Infinity) - (SECONDS[a.name] ?? Infinity));
}

/** One bench in smoke mode; its stdout and stderr go to ours, each line prefixed with its name. */
function smokeOne(bench: Bench): Promise<Outcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(root, bench.script)], {
    cwd: root,
    env: { ...process.env, BENCH_SMOKE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const relay = (to: NodeJS.WriteStream, keep: boolean) => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) to.write(`[${bench.name}] ${line}\n`);
      if (keep) stdout += chunk.toString();
    };
  };
  child.stdout.on('data', relay(process.stdout, true));
  child.stderr.on('data', relay(process.stderr, false));
  return new Promise((done) => {
    child.on('close', (code, signal) => {
      const ms = Date.now() - started;
      const lines = stdout.split('\n').filter((l) => l.trim() !== '');
      // What is shown: the first line that names a goal (the figure), else the first line.
      const figure = lines.find((l) => l.includes('goal')) ?? lines[0] ?? '';
      if (code !== 0) done({ name: bench.name, ok: false, ms, figure, why: `exited ${signal ?? code}` });
      else if (!figure) done({ name: bench.name, ok: false, ms, figure, why: 'printed no figure on stdout' });
      else done({ name: bench.name, ok: true, ms, figure });
    });
  });
}

const all = benches();
const queue = [...all];
const outcomes: Outcome[] = [];
const started = Date.now();
await Promise.all(
  Array.from({ length: Math.max(1, jobs) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) outcomes.push(await smokeOne(next));
  }),
);

console.log(`\nbench smoke: ${all.length} benches, ${jobs} at a time, ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const o of outcomes.sort((a, b) => a.name.localeCompare(b.name))) {
  const what = o.ok ? o.figure.trim().slice(0, 90) : `FAILED: ${o.why}`;
  console.log(`  ${o.ok ? 'ok  ' : 'FAIL'} ${o.name.padEnd(18)} ${(o.ms / 1000).toFixed(1).padStart(6)} s  ${what}`);
}
if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
