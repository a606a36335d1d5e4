// Hostile or malformed input is refused before anything runs: exit 2, a clear message, nothing
// cloned or deployed, no command injected. Hostile refs are given with a real repository, so that
// past the input check they would reach git; git itself is the last wall (the test at the end).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloneRepo, resolveRef } from '../../src/git/git.js';
import { parseEvents } from '../../src/model/run-events.js';
import { artifactsDir, fixtures, runCli, testStacks } from './helpers.js';

const pwned = '/tmp/cc-ci-pwned';
/** Stands for the fixture repository's URL in the table (made in beforeAll). */
const REPO = '<custom-html fixture>';
let repoUrl: string;

beforeAll(async () => {
  repoUrl = (await fixtures(['custom-html']))['custom-html']!.url;
});

describe('hostile input', () => {
  it.each([
    [['run', 'custom-html', '--repo', REPO, `--ref=--upload-pack=touch ${pwned}`], /invalid ref .*starts with "-"/],
    [['run', 'custom-html', '--repo', REPO, '--ref', 'main..evil'], /invalid ref .*contains "\.\."/],
    [['run', 'custom-html', '--repo', REPO, '--ref', `$(touch ${pwned})`], /invalid ref/],
    [['run', '../etc', '--repo', '/srv/x'], /invalid recipe name/],
    [['run', 'a/b', '--repo', '/srv/x'], /invalid recipe name/],
    [['run', 'custom-html', '--repo', `ext::sh -c touch% ${pwned}`], /invalid repository URL/],
    [['run', 'custom-html', '--repo', '/srv/x', '--stages', 'install,teleport'], /unknown stage "teleport"/],
    [['run', 'custom-html', '--repo', '/srv/x', '--bogus-flag'], /unknown option '--bogus-flag'/],
    [
      ['run', 'custom-html', '--repo', '/srv/x', '--config', '/nonexistent/cc-ci.yml'],
      /config file: cannot read \/nonexistent\/cc-ci.yml/,
    ],
    [['janitor', '--max-age', 'soon'], /--max-age: expected a duration/],
  ])('refuses %j with exit 2', async (args, message) => {
    rmSync(pwned, { force: true });
    const before = await testStacks();
    const r = await runCli(args.map((a) => (a === REPO ? repoUrl : a)));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(pwned)).toBe(false);
    expect((await testStacks()).filter((s) => !before.includes(s))).toEqual([]);
  });

  it('refuses a ref the repository does not have with exit 2 and deploys nothing', async () => {
    const before = await testStacks();
    const runId = `refused-${Date.now()}`;
    const events = join(mkdtempSync('/tmp/cc-ci-events-'), 'events.jsonl');
    const r = await runCli([
      'run',
      'custom-html',
      '--repo',
      repoUrl,
      '--ref',
      'no-such-branch',
      '--quick',
      '--run-id',
      runId,
      '--events',
      events,
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/ref "no-such-branch" is not a branch, tag or commit/);
    expect((await testStacks()).filter((s) => !before.includes(s))).toEqual([]);
    // A server has something to show for a bad !testme: the folder, the log and results that say why.
    const results = JSON.parse(readFileSync(join(artifactsDir(runId), 'results.json'), 'utf8'));
    expect(results).toMatchObject({
      verdict: 'error',
      error: { code: 'RECIPE_INVALID', message: expect.stringContaining('no-such-branch') },
    });
    expect(results.stages.every((s: { status: string }) => s.status === 'skip')).toBe(true);
    expect(readFileSync(join(artifactsDir(runId), 'run.log'), 'utf8')).toContain(
      'RECIPE_INVALID: ref \\"no-such-branch\\" is not a branch',
    );
    expect(parseEvents(readFileSync(events, 'utf8')).map((e) => e.type)).toEqual(['run-started', 'run-finished']);
  });

  it('refuses a run id that could escape the store, or one already used', async () => {
    const bad = await runCli(['run', 'custom-html', '--repo', '/srv/x', '--run-id', '../../etc']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/invalid run id "..\/..\/etc"/);
    const runId = `twice-${Date.now()}`;
    expect((await runCli(['run', 'custom-html', '--repo', '/srv/nothing-here', '--run-id', runId])).exitCode).toBe(3);
    const again = await runCli(['run', 'custom-html', '--repo', '/srv/nothing-here', '--run-id', runId]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/run id .* was already used/);
  });

  it('git never reads a ref as an option, even one past the input check', async () => {
    // Without --end-of-options, `git fetch origin --upload-pack=touch …` runs touch.
    const checkout = join(mkdtempSync('/tmp/cc-ci-hostile-'), 'checkout');
    await cloneRepo(repoUrl, checkout);
    rmSync(pwned, { force: true });
    await expect(resolveRef(checkout, `--upload-pack=touch ${pwned}`)).rejects.toMatchObject({
      code: 'RECIPE_INVALID',
    });
    expect(existsSync(pwned)).toBe(false);
  });
});
