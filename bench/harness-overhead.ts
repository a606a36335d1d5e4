// bench/harness-overhead: the static fixture's install run through cc-ci against the same abra
// and docker steps scripted by hand (bench/hand-install.sh), alternated, on the testbed. Prints
// the ratio of median wall times (goal ≤ 1.05) and how soon cc-ci noticed convergence after
// Docker recorded the last task running (goal ≤ 250 ms).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFixtureRepos } from '../testbed/fixtures/make-recipes.js';
import { knob } from './smoke.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const rounds = knob('BENCH_ROUNDS', 3, 1);
const repos = await makeFixtureRepos(mkdtempSync('/tmp/cc-ci-bench-'), ['custom-html']);
const repo = repos['custom-html']!;
// The generic suite (no spec): the same steps as the hand-written script, one browser visit.
const config = join(mkdtempSync('/tmp/cc-ci-bench-cfg-'), 'cc-ci.yml');
writeFileSync(
  config,
  readFileSync(join(root, 'testbed/cc-ci.yml'), 'utf8')
    .replace('abra: ./bin/abra', `abra: ${join(root, 'testbed/bin/abra')}`)
    .replace(/^recipesDir: .*$/m, `recipesDir: ${mkdtempSync('/tmp/cc-ci-bench-specs-')}`),
);

function timed(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const ccci: number[] = [];
const hand: number[] = [];
const lags: number[] = [];
for (let i = 0; i < rounds; i++) {
  let out = '';
  ccci.push(
    timed(() => {
      out = execFileSync(
        process.execPath,
        [
          join(root, 'dist/src/cli.js'),
          'run',
          'custom-html',
          '--repo',
          repo.url,
          '--ref',
          'main',
          '--quick',
          '--json',
          '--config',
          config,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
    }),
  );
  const results = JSON.parse(out) as { runId: string; verdict: string };
  if (results.verdict !== 'pass') throw new Error(`cc-ci run ${results.runId} did not pass`);
  const log = readFileSync(join('/var/lib/cc-ci-testbed/store/runs', results.runId, 'artifacts/run.log'), 'utf8');
  for (const line of log.split('\n')) {
    if (line.includes('"stack converged"')) lags.push(JSON.parse(line).lagMs as number);
  }
  hand.push(
    timed(() => {
      execFileSync(
        'bash',
        [join(root, 'bench/hand-install.sh'), 'custom-html', repo.url, 'main', mkdtempSync('/tmp/cc-ci-hand-')],
        { stdio: 'ignore' },
      );
    }),
  );
  process.stderr.write(
    `round ${i + 1}/${rounds}: cc-ci ${(ccci[i]! / 1000).toFixed(2)} s, by hand ${(hand[i]! / 1000).toFixed(2)} s\n`,
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = median(ccci) / median(hand);
console.log(
  `harness overhead: cc-ci median ${(median(ccci) / 1000).toFixed(2)} s, ` +
    `by hand ${(median(hand) / 1000).toFixed(2)} s, ratio ${ratio.toFixed(3)} (goal <= 1.05)`,
);
console.log(
  `convergence noticed after Docker recorded it: median ${median(lags)} ms, max ${Math.max(...lags)} ms ` +
    `over ${lags.length} runs (goal <= 250 ms)`,
);
