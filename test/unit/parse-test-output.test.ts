import { describe, expect, it } from 'vitest';
import { rowsFromJunit, rowsFromTap } from '../../src/stages/recipe-local/parse-test-output.js';
import { parseGeneratedSecrets, parseLintRules } from '../../src/harness/abra.js';

describe('recipe test output', () => {
  it('reads top-level TAP lines, with skips, and ignores nested ones', () => {
    const tap = 'TAP version 13\n# Subtest: a\nok 1 - a passes\n  ---\nnot ok 2 - b fails\n    ok 1 - nested\nok 3 - c # SKIP later\n1..3\n';
    expect(rowsFromTap(tap, 'p: ')).toEqual([
      { name: 'p: a passes', status: 'pass' }, { name: 'p: b fails', status: 'fail', code: 'TESTS_FAILED' }, { name: 'p: c', status: 'skip' }]);
  });
  it('reads JUnit testcases with failures, skips and times', async () => {
    const xml = `<?xml version="1.0"?><testsuites><testsuite name="s"><testcase name="ok one" time="0.5"/>
      <testcase name="bad" time="0.1"><failure message="1 == 2" type="x">stack</failure></testcase>
      <testcase name="later"><skipped/></testcase></testsuite></testsuites>`;
    expect(await rowsFromJunit(xml, '')).toEqual([
      { name: 'ok one', status: 'pass', detail: undefined, durationMs: 500 },
      { name: 'bad', status: 'fail', code: 'TESTS_FAILED', detail: '1 == 2', durationMs: 100 },
      { name: 'later', status: 'skip', detail: undefined, durationMs: 0 }]);
    expect(await rowsFromJunit(undefined, '')).toBeUndefined();
    expect(await rowsFromJunit('<testsuites/>', '')).toBeUndefined();
  });
});

describe('abra machine output', () => {
  it('reads generated secrets after any leading log line', () => {
    expect(parseGeneratedSecrets('INFO generating\n[{"name":"db_password","value":"s3cr3t-value"}]')).toEqual([{ name: 'db_password', value: 's3cr3t-value' }]);
    expect(() => parseGeneratedSecrets('FATA nope')).toThrow(/printed no JSON list/);
  });
  it('reads the lint rule table', () => {
    expect(parseLintRules('[{"ref":"R001","rule":"compose.yml exists","severity":"error","satisfied":true}]'))
      .toEqual([{ ref: 'R001', rule: 'compose.yml exists', severity: 'error', satisfied: true }]);
    expect(() => parseLintRules('garbage')).toThrow(/no JSON rule table/);
  });
});
