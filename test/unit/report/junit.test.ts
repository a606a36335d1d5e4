import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../../src/report/junit.js';
import type { RunResults } from '../../../src/model/results.js';

const results: RunResults = {
  schemaVersion: 2,
  runId: 'r1',
  recipe: 'custom-html',
  repo: 'file:///x',
  ref: 'main',
  headSha: 'abc',
  versions: {},
  startedAt: '',
  finishedAt: '',
  durationMs: 1500,
  level: 0,
  verdict: 'fail',
  apps: [],
  teardown: { clean: true, left: [], durationMs: 1 },
  artifacts: [],
  stages: [
    {
      name: 'install',
      status: 'fail',
      reason: 'x',
      checks: [
        { name: 'converged', status: 'pass', durationMs: 1000 },
        { name: 'health GET /', status: 'fail', detail: 'GET / -> 503 <"&\u0007>' },
      ],
    },
    { name: 'upgrade', status: 'skip', reason: 'not asked for in this run', checks: [] },
  ],
};

describe('junit.xml', () => {
  it('mirrors stages as suites and rows as cases, with failures and skips', () => {
    const xml = renderJunit(results);
    expect(xml).toContain('<testsuites name="cc-ci custom-html main" tests="3" failures="1" errors="0" time="1.500">');
    expect(xml).toContain('<testsuite name="install" tests="2" failures="1"');
    expect(xml).toContain('<failure message="GET / -&gt; 503 &lt;&quot;&amp;&gt;"/>');
    expect(xml).toContain('<skipped message="not asked for in this run"/>');
    expect(xml).not.toContain('\u0007');
  });
  it('says who declared an na stage, as results.json does', () => {
    const na: RunResults['stages'][number] = {
      name: 'lint',
      status: 'na',
      reason: 'checked upstream',
      naBy: 'recipe',
      checks: [],
    };
    const xml = renderJunit({ ...results, stages: [na] });
    expect(xml).toContain(
      '<properties><property name="reason" value="checked upstream"/><property name="status" value="na"/>' +
        '<property name="naBy" value="recipe"/></properties>',
    );
  });
});
