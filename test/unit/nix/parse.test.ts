// Every .nix file of the repository parses (Debian's nix-bin: nix-instantiate --parse), so a
// broken flake or module cannot land. Without nix-instantiate the test fails: it is not skipped.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nixParse, nixVersion, repoRoot } from './nix.js';

const skipped = new Set(['node_modules', 'dist', '.git', 'data', 'test-results', 'coverage']);

function nixFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return skipped.has(entry.name) ? [] : nixFiles(path);
    return entry.isFile() && entry.name.endsWith('.nix') ? [path] : [];
  });
}

describe('nix files', () => {
  it('nix-instantiate is installed (apt-get install nix-bin)', async () => {
    expect(await nixVersion()).toMatch(/^nix-instantiate \(Nix\) \d/);
  });

  it('finds the flake, the module and the package', () => {
    const found = nixFiles(repoRoot).map((f) => relative(repoRoot, f));
    expect(found).toEqual(expect.arrayContaining(['flake.nix', 'nix/module.nix', 'nix/package.nix']));
  });

  it('every .nix file parses', async () => {
    const failures: string[] = [];
    for (const file of nixFiles(repoRoot)) {
      const r = await nixParse(file);
      if (r.exitCode !== 0) failures.push(`${relative(repoRoot, file)}: ${r.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
  });

  it('a file with a syntax error is reported', async () => {
    const r = await nixParse(join(import.meta.dirname, 'fixtures', 'broken.nix.txt'));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/syntax error/);
  });
});
