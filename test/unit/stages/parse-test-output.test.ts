import { describe, expect, it } from 'vitest';
import { rowsFromJunit, rowsFromTap } from '../../../src/stages/recipe-local/parse-test-output.js';

describe('recipe test output', () => {
  it('reads top-level TAP lines, with skips, and ignores nested ones', () => {
    const tap =
      'TAP version 13\n# Subtest: a\nok 1 - a passes\n  ---\nnot ok 2 - b fails\n' +
      '    ok 1 - nested\nok 3 - c # SKIP later\n1..3\n';
    expect(rowsFromTap(tap, 'p: ')).toEqual([
      { name: 'p: a passes', status: 'pass' },
      { name: 'p: b fails', status: 'fail', code: 'TESTS_FAILED' },
      { name: 'p: c', status: 'skip' },
    ]);
  });
  it('reads JUnit testcases with failures, skips and times', async () => {
    const xml = `<?xml version="1.0"?><testsuites><testsuite name="s"><testcase name="ok one" time="0.5"/>
      <testcase name="bad" time="0.1"><failure message="1 == 2" type="x">stack</failure></testcase>
      <testcase name="later"><skipped/></testcase></testsuite></testsuites>`;
    expect(await rowsFromJunit(xml, '')).toEqual([
      { name: 'ok one', status: 'pass', detail: undefined, durationMs: 500 },
      { name: 'bad', status: 'fail', code: 'TESTS_FAILED', detail: '1 == 2', durationMs: 100 },
      { name: 'later', status: 'skip', detail: undefined, durationMs: 0 },
    ]);
    expect(await rowsFromJunit(undefined, '')).toBeUndefined();
    expect(await rowsFromJunit('<testsuites/>', '')).toBeUndefined();
  });
});
