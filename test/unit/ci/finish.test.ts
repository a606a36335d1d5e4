// .ci/finish ends every CI run: residue that testbed/down reports must fail CI, and a failed run
// must keep its own status. Run against a stand-in testbed/down in a scratch copy of .ci/.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');

async function finish(runStatus: number, downStatus: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cc-ci-finish-'));
  mkdirSync(join(dir, '.ci'));
  mkdirSync(join(dir, 'testbed'));
  for (const f of ['finish', 'durations.mjs']) copyFileSync(join(repoRoot, '.ci', f), join(dir, '.ci', f));
  const down = join(dir, 'testbed/down');
  const says = downStatus === 0 ? 'testbed down in 1s' : 'LEFT BEHIND: links left: br-1234';
  writeFileSync(down, `echo '${says}'\nexit ${downStatus}\n`);
  chmodSync(down, 0o755);
  return execa('bash', ['.ci/finish', String(runStatus), '42'], { cwd: dir, reject: false, all: true });
}

describe('.ci/finish', () => {
  it('passes a green run whose testbed came down clean', async () => {
    const r = await finish(0, 0);
    expect(r.exitCode).toBe(0);
    expect(r.all).toContain('.ci/run took 42 s');
  });

  it('fails a green run when testbed/down found residue', async () => {
    const r = await finish(0, 1);
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain('testbed/down left residue');
  });

  it("keeps a failed run's own status, residue or not", async () => {
    expect((await finish(3, 1)).exitCode).toBe(3);
    expect((await finish(2, 0)).exitCode).toBe(2);
  });
});
