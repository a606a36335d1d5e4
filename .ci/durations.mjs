// Prints each test file's duration from vitest's JUnit report (test-results/junit.xml, written by
// the junit reporter of vitest.config.ts), longest first within each folder (test/unit, test/e2e),
// with each folder's sum. Files of one folder run side by side, so a sum is more than the wall
// time it took. Usage: node .ci/durations.mjs [junit.xml]
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/junit.xml';
if (!existsSync(file)) {
  console.log(`no ${file}: the tests did not get as far as writing it`);
  process.exit(0);
}
const attr = (tag, name) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? m[1] : '';
};
const suites = [...readFileSync(file, 'utf8').matchAll(/<testsuite\s[^>]*>/g)].map(([tag]) => ({
  name: attr(tag, 'name'),
  tests: Number(attr(tag, 'tests')),
  failures: Number(attr(tag, 'failures')),
  skipped: Number(attr(tag, 'skipped')),
  seconds: Number(attr(tag, 'time')),
}));
const folder = (name) => name.split('/').slice(0, 2).join('/');
const folders = [...new Set(suites.map((s) => folder(s.name)))].sort();
console.log(`\n== test files by duration (${file})`);
for (const f of folders) {
  const mine = suites.filter((s) => folder(s.name) === f).sort((a, b) => b.seconds - a.seconds);
  const sum = mine.reduce((t, s) => t + s.seconds, 0);
  console.log(`${f}: ${mine.length} files, ${sum.toFixed(1)} s summed`);
  for (const s of mine) {
    const failed = s.failures > 0 ? `  ${s.failures} FAILED` : '';
    const tests = `${s.tests} test${s.tests === 1 ? '' : 's'}${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}`;
    console.log(`  ${s.seconds.toFixed(1).padStart(7)} s  ${s.name.padEnd(48)} ${tests}${failed}`);
  }
}
