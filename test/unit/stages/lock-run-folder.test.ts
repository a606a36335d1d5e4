// The run folder is locked against the recipe tests' user before they start: write bits for others
// come off everything in it (symlinks are left alone, never followed), and a folder above it that
// anyone may write without the sticky bit stops the tests (they could move the run folder away).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blame } from '../../../src/model/blame.js';
import { lockRunFolder } from '../../../src/stages/recipe-local/lock-run-folder.js';

const root = mkdtempSync(join(tmpdir(), 'cc-ci-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const nobody = { uid: 65534, gid: 65534 };

describe('locking the run folder', () => {
  it('takes the write bit for others off every file and folder in it, and leaves what symlinks point to', () => {
    const run = join(root, 'runs', 'r1');
    mkdirSync(join(run, 'artifacts'), { recursive: true });
    writeFileSync(join(run, 'events.jsonl'), '');
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, '');
    chmodSync(outside, 0o666);
    symlinkSync(outside, join(run, 'servers'));
    for (const p of [run, join(run, 'artifacts')]) chmodSync(p, 0o777);
    chmodSync(join(run, 'events.jsonl'), 0o666);
    lockRunFolder(run, nobody);
    expect(statSync(run).mode & 0o777).toBe(0o775);
    expect(statSync(join(run, 'artifacts')).mode & 0o777).toBe(0o775);
    expect(statSync(join(run, 'events.jsonl')).mode & 0o777).toBe(0o664);
    expect(statSync(outside).mode & 0o777).toBe(0o666);
  });

  it('refuses a run folder under a folder anyone may write without the sticky bit: error, the tests do not run', () => {
    const open = join(root, 'open');
    const run = join(open, 'runs', 'r2');
    mkdirSync(run, { recursive: true });
    chmodSync(open, 0o777);
    let err: unknown;
    try {
      lockRunFolder(run, nobody);
    } catch (e) {
      err = e;
    }
    expect(blame(err)).toMatchObject({ status: 'error', code: 'TESTS_NOT_RUN' });
    expect((err as Error).message).toContain(`${open}, above the run folder, can be changed by the tests' user`);
    chmodSync(open, 0o1777);
    expect(() => lockRunFolder(run, nobody)).not.toThrow();
  });
});
