// The lifecycle stages on the testbed: upgrade keeps data, backup → mutate → restore returns the
// seed, recipe-local tests become rows, lint sets L5; and each stage fails, with a message that
// says why, when the recipe breaks what it checks.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, cpSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../../src/apps/lease.js';
import { commitOnBranch } from '../../testbed/fixtures/make-recipes.js';
import { configWith, fixtures, lane, leftovers, repoRoot, runCli } from './helpers.js';

const fixtureTree = (recipe: string, version: string, file: string) =>
  readFileSync(join(repoRoot, 'testbed/fixtures/recipes', recipe, version, file), 'utf8');
const example = (file: string) => readFileSync(join(repoRoot, 'docs/examples/recipe-tests', file), 'utf8');
const stage = (r: Awaited<ReturnType<typeof runCli>>, name: string) => r.results!.stages.find((s) => s.name === name)!;

async function expectNothingLeft(r: Awaited<ReturnType<typeof runCli>>): Promise<void> {
  expect(r.results!.teardown.clean).toBe(true);
  for (const app of r.results!.apps) expect(await leftovers(app.stack)).toEqual([]);
}

describe('lifecycle stages', () => {
  it('runs every stage of the static recipe with its spec, recipe tests and custom checks, reaching L5', async () => {
    const repo = (await fixtures(['custom-html']))['custom-html']!;
    // A PR that adds the recipe's own tests (the worked examples of docs/writing-tests.md).
    const sha = await commitOnBranch(
      repo,
      'pr-tests',
      {
        'tests/smoke.test.mjs': example('smoke.test.mjs'),
        'tests/test_smoke.py': example('test_smoke.py'),
        'tests/run': example('run'),
      },
      'add tests',
    );
    const r = await runCli([
      'run',
      'custom-html',
      '--repo',
      repo.url,
      '--ref',
      'pr-tests',
      '--json',
      '--config',
      configWith(),
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const results = r.results!;
    expect(results.headSha).toBe(sha);
    expect(results.versions).toEqual({ base: '1.0.0+1.27.2', head: '1.1.0+1.27.2' });
    expect(results.stages.map((s) => [s.name, s.status])).toEqual([
      ['install', 'pass'],
      ['upgrade', 'pass'],
      ['backup', 'pass'],
      ['recipe-local', 'pass'],
      ['lint', 'pass'],
    ]);
    expect(results.level).toBe(5);
    expect(results.verdict).toBe('pass');
    const names = (s: string) => stage(r, s).checks.map((c) => c.name);
    expect(names('install')).toEqual(expect.arrayContaining(['http GET /version.txt', 'browser /']));
    expect(names('upgrade')).toEqual(
      expect.arrayContaining([
        'seed marker on 1.0.0+1.27.2',
        'version label moved to the head',
        'marker survived the upgrade',
      ]),
    );
    expect(stage(r, 'upgrade').checks.find((c) => c.name === 'version label moved to the head')!.detail).toBe(
      '1.0.0+1.27.2 -> 1.1.0+1.27.2',
    );
    expect(names('backup')).toEqual([
      'seed marker',
      'abra app backup create',
      'mutate',
      'abra app restore',
      'converged after restore',
      'restore returned the seed',
    ]);
    expect(names('recipe-local')).toEqual(
      expect.arrayContaining([
        'the home page answers and names the release',
        'the version file matches the deployed version',
        'node --test tests/',
        'pytest: test_home_page_names_the_recipe',
        'pytest: test_version_file_matches_the_deployed_version',
        'pytest tests/',
        'tests/run: version.txt answers 200',
        'tests/run',
        'site.versionMatchesTitle',
        'site.contentVolumeMounted',
      ]),
    );
    expect(stage(r, 'recipe-local').checks.every((c) => c.status === 'pass')).toBe(true);
    expect(stage(r, 'lint').checks.some((c) => c.name.startsWith('R001'))).toBe(true);
    expect(results.apps.map((a) => a.role).sort()).toEqual(['install', 'upgrade']);
    await expectNothingLeft(r);
  });

  it('keeps the data of a database recipe through upgrade and restores it through the dump hooks', async () => {
    const repo = (await fixtures(['pg-app']))['pg-app']!;
    const r = await runCli(['run', 'pg-app', '--repo', repo.url, '--ref', 'main', '--json', '--config', configWith()]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(stage(r, 'upgrade').status).toBe('pass');
    expect(stage(r, 'backup').status).toBe('pass');
    // No tests/ and no custom checks: skipped, not failed; the level stops below L4.
    expect(stage(r, 'recipe-local')).toMatchObject({ status: 'skip', reason: expect.stringContaining('no tests/') });
    expect(r.results!.level).toBe(3);
    await expectNothingLeft(r);
  });

  it('fails the upgrade stage when the upgrade loses the marker', async () => {
    const repo = (await fixtures(['custom-html']))['custom-html']!;
    // 1.2.0 moves the site to a new volume: the old content is gone after the upgrade.
    const compose = fixtureTree('custom-html', '1.1.0+1.27.2', 'compose.yml')
      .replace('content:/usr/share/nginx/html', 'content_v2:/usr/share/nginx/html')
      .replace(/\nvolumes:\n {2}content:\n/, '\nvolumes:\n  content_v2:\n')
      .replace('version=1.1.0+1.27.2', 'version=1.2.0+1.27.2');
    expect(compose).toContain('content_v2:');
    await commitOnBranch(repo, 'pr-lose', { 'compose.yml': compose }, 'move content to a new volume');
    const r = await runCli([
      'run',
      'custom-html',
      '--repo',
      repo.url,
      '--ref',
      'pr-lose',
      '--stages',
      'upgrade',
      '--json',
      '--config',
      configWith(),
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.results!.versions).toEqual({ base: '1.1.0+1.27.2', head: '1.2.0+1.27.2' });
    const upgrade = stage(r, 'upgrade');
    expect(upgrade.status).toBe('fail');
    expect(upgrade.reason).toMatch(
      /marker survived the upgrade: after the upgrade the data marker was lost: .*No such file/,
    );
    // The read found the marker on the base, so a read that now fails means the data is gone.
    expect(upgrade.code).toBe('DATA_LOST');
    expect(upgrade.checks.find((c) => c.name === 'version label moved to the head')?.status).toBe('pass');
    await expectNothingLeft(r);
  });

  it('fails the backup stage when the restore does not restore', async () => {
    const repo = (await fixtures(['pg-app']))['pg-app']!;
    const compose = fixtureTree('pg-app', '1.1.0+15', 'compose.yml');
    const broken = compose.replace(/backupbot\.restore\.post-hook: .*/, 'backupbot.restore.post-hook: "true"');
    expect(broken).not.toBe(compose);
    await commitOnBranch(repo, 'pr-norestore', { 'compose.yml': broken }, 'restore hook does nothing');
    const r = await runCli([
      'run',
      'pg-app',
      '--repo',
      repo.url,
      '--ref',
      'pr-norestore',
      '--stages',
      'install,backup',
      '--json',
      '--config',
      configWith(),
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    const backup = stage(r, 'backup');
    expect(backup.status).toBe('fail');
    expect(backup.reason).toMatch(/restore returned the seed: after the restore the data is not the seed: .*"changed"/);
    await expectNothingLeft(r);
  });

  const recipeTests =
    'shows passing and failing recipe tests as rows and fails the stage, ' +
    'declares lint na from the spec, and --keep keeps the failure';
  it(recipeTests, async () => {
    const repo = (await fixtures(['custom-html']))['custom-html']!;
    await commitOnBranch(
      repo,
      'pr-failing-test',
      {
        'tests/smoke.test.mjs': example('smoke.test.mjs'),
        'tests/broken.test.mjs':
          "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n" +
          "test('a test that fails', () => assert.equal(1, 2));\n",
      },
      'a failing test',
    );
    const specs = mkdtempSync('/tmp/cc-ci-specs-');
    cpSync(join(repoRoot, 'testbed/fixtures/specs/custom-html'), join(specs, 'custom-html'), { recursive: true });
    writeFileSync(
      join(specs, 'custom-html/ci.yml'),
      readFileSync(join(specs, 'custom-html/ci.yml'), 'utf8') +
        'stages: {lint: na}\nna_reason: {lint: "checked upstream"}\n',
    );
    rmSync(join(specs, 'custom-html/site.check.ts'));
    const config = configWith({ recipesDir: specs, keepOnFailure: 1 });
    const r = await runCli([
      'run',
      'custom-html',
      '--repo',
      repo.url,
      '--ref',
      'pr-failing-test',
      '--stages',
      'install,recipe-local,lint',
      '--keep',
      '--json',
      '--config',
      config,
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    const local = stage(r, 'recipe-local');
    expect(local.status).toBe('fail');
    expect(local.checks.find((c) => c.name === 'the home page answers and names the release')?.status).toBe('pass');
    expect(local.checks.find((c) => c.name === 'a test that fails')?.status).toBe('fail');
    expect(stage(r, 'lint')).toMatchObject({ status: 'na', reason: 'checked upstream' });
    expect(r.results!.level).toBe(1);
    // Kept: the app is still there, its lease protects it from the janitor until keptUntil.
    const kept = r.results!.teardown.keptUntil!;
    expect(Date.parse(kept) - Date.now()).toBeGreaterThan(50 * 60_000);
    const stack = r.results!.apps[0]!.stack;
    expect((await leftovers(stack)).length).toBeGreaterThan(0);
    const janitor = await runCli(['janitor', '--max-age', '0']);
    expect(janitor.exitCode).toBe(0);
    expect((await leftovers(stack)).length).toBeGreaterThan(0);
    // Once the keep expires (here: the lease is dropped), the janitor reaps it.
    const leases = join(lane.store, 'leases');
    for (const f of readdirSync(leases).filter((n) => n.endsWith('.json'))) {
      const lease = JSON.parse(readFileSync(join(leases, f), 'utf8')) as LeaseRecord;
      if (lease.runId === r.results!.runId) {
        writeFileSync(
          join(leases, f),
          JSON.stringify({ ...lease, keepUntil: new Date(Date.now() - 1000).toISOString() }),
        );
      }
    }
    expect((await runCli(['janitor', '--max-age', '0'])).exitCode).toBe(0);
    expect(await leftovers(stack)).toEqual([]);
  });

  it('refuses a spec with a typo, naming the file and the key', async () => {
    const specs = mkdtempSync('/tmp/cc-ci-specs-');
    mkdirSync(join(specs, 'custom-html'));
    writeFileSync(join(specs, 'custom-html/ci.yml'), 'helth: {path: /}\n');
    const repo = (await fixtures(['custom-html']))['custom-html']!;
    const r = await runCli([
      'run',
      'custom-html',
      '--repo',
      repo.url,
      '--quick',
      '--config',
      configWith({ recipesDir: specs }),
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/custom-html\/ci\.yml: \(top level\): Unrecognized key: "helth"/);
    const check = await runCli(['recipes', '--check', '--config', configWith({ recipesDir: specs })]);
    expect(check.exitCode).toBe(2);
    expect(check.stdout).toMatch(/custom-html: INVALID .*Unrecognized key: "helth"/);
  });

  it('validates the six enrolled recipes', async () => {
    const r = await runCli(['recipes', '--check', '--config', configWith({ recipesDir: join(repoRoot, 'recipes') })]);
    expect(r.exitCode, r.stdout).toBe(0);
    for (const name of ['custom-html', 'keycloak', 'cryptpad', 'matrix-synapse', 'lasuite-docs', 'n8n']) {
      expect(r.stdout).toMatch(new RegExp(`^${name}: spec `, 'm'));
    }
    expect(r.stdout).toContain('6 recipes, 0 invalid');
  });
});
