// The command line itself (src/cli.ts), as an operator types it: `cc-ci --version` names the
// installed release, and `run --help` says which refs `--ref` takes.
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
});
