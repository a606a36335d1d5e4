// Every benchmark once in smoke mode (bench/smoke-all.ts), as a test of its own: `npm test` then
// proves every bench still runs to its end and prints its figure, and it runs beside the
// end-to-end files (vitest.config.ts, group 1), since most of its time is spent waiting on the
// swarm as theirs is. The figures are printed, not judged. Needs dist/ (npm test builds it first)
// and the testbed.
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

test('every benchmark runs in smoke mode and prints its figure', { timeout: 900_000 }, async () => {
  const smoke = await execa(process.execPath, [join(root, 'dist/bench/smoke-all.js')], {
    cwd: root,
    reject: false,
    all: true,
    // Two at a time: beside two end-to-end files on a 2-core machine.
    env: { BENCH_SMOKE_JOBS: process.env.BENCH_SMOKE_JOBS ?? '2' },
  });
  console.log(smoke.all);
  expect(smoke.exitCode, `bench smoke failed: see the FAIL lines above\n${smoke.all.slice(-4000)}`).toBe(0);
});
