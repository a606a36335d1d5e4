// Smoke mode of the benchmarks (BENCH_SMOKE=1, or --smoke): one short round of each, so CI proves
// every bench still runs to its end and prints its figure (`npm run bench:smoke`,
// bench/smoke-all.ts). The figure of a smoke round is printed, never judged: it is too short to
// mean anything. What a bench checks about correctness (every run passed, no secret leaked,
// nothing lost) still fails it.
export const smoke = process.env.BENCH_SMOKE === '1' || process.argv.slice(2).includes('--smoke');

/** A bench's size knob: its environment variable if set, else the full size, or the smoke size in smoke mode. */
export function knob(name: string, full: number, short: number): number {
  const set = process.env[name];
  if (set !== undefined && set !== '') return Number(set);
  return smoke ? short : full;
}
