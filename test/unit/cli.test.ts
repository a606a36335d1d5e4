// The command line itself (src/cli.ts), as an operator types it: `cc-ci --version` names the
// installed release, `run --help` says which refs `--ref` takes, and `serve` checks its drain flags.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const packageJson = fileURLToPath(new URL('../../package.json', import.meta.url));

const ccci = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', cli, ...args]);

describe('cc-ci', () => {
  it("--version prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
    const { stdout, stderr } = await ccci(['--version']);
    expect(stdout).toBe(`cc-ci ${version}\n`);
    expect(stderr).toBe('');
  });

  it('run --help names full refs such as refs/pull/7/head for --ref', async () => {
    const { stdout } = await ccci(['run', '--help']);
    expect(stdout.replace(/\s+/g, ' ')).toMatch(/--ref <ref> +branch, tag, full ref \(e\.g\. refs\/pull\/7\/head\)/);
  });

  it('serve refuses a --drain-timeout that is not a duration, or one without --drain (exit 2)', async () => {
    const bad = await ccci(['serve', '--drain', '--drain-timeout', 'soon']).catch((err: unknown) => err);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--drain-timeout: expected a duration') });
    const alone = await ccci(['serve', '--drain-timeout', '5m']).catch((err: unknown) => err);
    expect(alone).toMatchObject({ code: 2, stderr: expect.stringContaining('give --drain too') });
  });
});
