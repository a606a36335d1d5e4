// The spec in the recipe's own repository on the testbed: `tests/cc-ci.yml` at the tested commit
// shapes the run (its check becomes a row), its `na` is shown but does not climb, cc-ci's
// `recipes/<recipe>/ci.yml` overrides it, and a broken one is the recipe's `fail` before any app.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitOnBranch } from '../../testbed/fixtures/make-recipes.js';
import { configWith, fixtures, leftovers, runCli } from './helpers.js';

const ownSpec =
  'health: {path: /, status: 200}\n' +
  'checks:\n  - http: {path: /version.txt, status: 200}\n' +
  'stages: {lint: na}\nna_reason: {lint: "checked upstream"}\n';

/** A recipes folder with no spec for custom-html, or with the given one. */
function recipesDir(spec?: string): string {
  const dir = mkdtempSync('/tmp/cc-ci-specs-');
  if (spec !== undefined) {
    mkdirSync(join(dir, 'custom-html'));
    writeFileSync(join(dir, 'custom-html', 'ci.yml'), spec);
  }
  return dir;
}

const run = (url: string, ref: string, recipes: string, stages: string) =>
  runCli([
    'run',
    'custom-html',
    '--repo',
    url,
    '--ref',
    ref,
    '--stages',
    stages,
    '--json',
    '--config',
    configWith({ recipesDir: recipes }),
  ]);

describe("the recipe's own spec", () => {
  it('is read from the tested commit; its na is shown but does not climb; cc-ci overrides it', async () => {
    const repo = (await fixtures(['custom-html']))['custom-html']!;
    await commitOnBranch(repo, 'pr-spec', { 'tests/cc-ci.yml': ownSpec }, 'ship the spec beside the tests');

    const own = await run(repo.url, 'pr-spec', recipesDir(), 'install,lint');
    expect(own.exitCode, own.stderr).toBe(0);
    const results = own.results!;
    expect(results.spec).toEqual({ source: 'recipe', path: 'tests/cc-ci.yml' });
    const byName = Object.fromEntries(results.stages.map((s) => [s.name, s]));
    expect(byName.install!.checks.map((c) => c.name)).toContain('http GET /version.txt');
    expect(byName.lint).toMatchObject({ status: 'na', reason: 'checked upstream', naBy: 'recipe' });
    expect(results.level).toBe(1);
    for (const app of results.apps) expect(await leftovers(app.stack)).toEqual([]);

    const overridden = await run(repo.url, 'pr-spec', recipesDir('health: {path: /, status: 200}\n'), 'install,lint');
    expect(overridden.results!.spec).toEqual({ source: 'operator', path: 'custom-html/ci.yml' });
    const install = overridden.results!.stages.find((s) => s.name === 'install')!;
    expect(install.checks.map((c) => c.name)).not.toContain('http GET /version.txt');
    expect(overridden.results!.stages.find((s) => s.name === 'lint')!.status).not.toBe('na');
  });

  it('a broken one fails every asked stage with the validation message (SPEC_INVALID), deploying nothing', async () => {
    const repo = (await fixtures(['custom-html']))['custom-html']!;
    await commitOnBranch(repo, 'pr-typo', { 'tests/cc-ci.yml': 'helth: {path: /}\n' }, 'a typo in the spec');
    const r = await run(repo.url, 'pr-typo', recipesDir(), 'install,upgrade');
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.results!.verdict).toBe('fail');
    for (const name of ['install', 'upgrade']) {
      expect(r.results!.stages.find((s) => s.name === name)).toMatchObject({
        status: 'fail',
        code: 'SPEC_INVALID',
        reason: 'tests/cc-ci.yml: (top level): Unrecognized key: "helth"',
      });
    }
    expect(r.results!.apps).toEqual([]);
  });
});
