// Who runs a recipe's tests: nobody, and only when cc-ci is root and nobody can reach what the
// tests need; otherwise the tests do not run and blame.ts makes that an error with the fix.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blame } from '../../../src/model/blame.js';
import { blockedFor, testsUser } from '../../../src/stages/recipe-local/tests-user.js';

const root = mkdtempSync(join(tmpdir(), 'cc-ci-tests-user-'));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

/** A node binary as a root nvm install leaves it: under a home only root can search. */
function nvmNode(): string {
  const home = join(root, 'root-home');
  const bin = join(home, '.nvm', 'versions', 'node', 'v20.0.0', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'node'), '#!/bin/sh\n');
  chmodSync(join(bin, 'node'), 0o755);
  chmodSync(home, 0o700);
  return join(bin, 'node');
}

describe('the tests user', () => {
  it('is nobody when cc-ci is root and nobody reaches what the tests need', () => {
    expect(testsUser(0, [{ path: process.execPath, what: "cc-ci's node", run: true, fix: '' }])).toEqual({
      uid: 65534,
      gid: 65534,
    });
  });

  it("does not exist when cc-ci is not root: error, never cc-ci's own user", () => {
    const err = thrown(() => testsUser(1000, []));
    expect(blame(err)).toMatchObject({ status: 'error', code: 'TESTS_NOT_RUN' });
    expect((err as Error).message).toMatch(/^cc-ci runs as uid 1000, not root, .* run cc-ci as root/);
  });

  it("does not exist when nobody cannot run cc-ci's node (a root nvm install): error with the fix", () => {
    const node = nvmNode();
    const err = thrown(() => testsUser(0, [{ path: node, what: "cc-ci's node", run: true, fix: 'install Node.js…' }]));
    expect(blame(err)).toMatchObject({ status: 'error', code: 'TESTS_NOT_RUN' });
    expect((err as Error).message).toBe(
      `nobody cannot run cc-ci's node (${node}): ${join(root, 'root-home')} is mode 700, not searchable by ` +
        'other users. The tests did not run (never as root): install Node.js…',
    );
  });

  it('follows symlinks: a path that leads into a closed folder is blocked, one into an open folder is not', () => {
    const node = nvmNode();
    symlinkSync(node, join(root, 'node-link'));
    expect(blockedFor(join(root, 'node-link'), true)).toMatch(/root-home is mode 700/);
    writeFileSync(join(root, 'script'), '#!/bin/sh\n');
    chmodSync(join(root, 'script'), 0o744);
    expect(blockedFor(join(root, 'script'), true)).toMatch(/is mode 744, not readable and runnable by other users/);
    expect(blockedFor(join(root, 'script'), false)).toBeUndefined();
    expect(blockedFor(join(root, 'missing'), false)).toMatch(/does not exist/);
  });
});
