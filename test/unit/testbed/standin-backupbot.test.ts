// The stand-in does backup-bot-two's work the way backup-bot-two does it (item 8, [U] as
// remembered): hooks run through `bash -c` in the service's container and a failing hook is
// logged without failing the backup; a restore overwrites files and deletes nothing.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runHooks } from '../../../testbed/abra/backup.js';
import { overwrite } from '../../../testbed/abra/restore.js';

let root: string;
const path = process.env.PATH;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'backupbot-'));
  // A fake docker: `ps` names one running container, `exec` records its argv and fails.
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'docker'),
    '#!/bin/sh\nif [ "$1" = ps ]; then echo c0ffee; exit 0; fi\n' +
      `printf '%s\\n' "$@" > ${root}/exec-argv\necho 'dump failed' >&2\nexit 3\n`,
  );
  chmodSync(join(bin, 'docker'), 0o755);
  process.env.PATH = `${bin}:${path}`;
});
afterAll(() => {
  process.env.PATH = path;
  rmSync(root, { recursive: true, force: true });
});

describe('stand-in backup bot (item 8)', () => {
  it('runs a hook as bash -c in the container, and a failing hook is a warning, not a failure', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await expect(
        runHooks('st', [{ service: 'db', command: 'pg_dump > /x' }], 'backup pre-hook'),
      ).resolves.toBeUndefined();
      const logged = out.mock.calls.map((c) => String(c[0])).join('');
      expect(logged).toMatch(/WARN backup pre-hook failed in db \(exit 3\): dump failed; carrying on/);
    } finally {
      out.mockRestore();
    }
    expect(readFileSync(join(root, 'exec-argv'), 'utf8').trim().split('\n')).toEqual([
      'exec',
      'c0ffee',
      'bash',
      '-c',
      'pg_dump > /x',
    ]);
  });
  it('a restore overwrites what the snapshot has and keeps what was added after the backup', async () => {
    const snapshot = join(root, 'snap');
    const volume = join(root, 'vol');
    mkdirSync(snapshot);
    mkdirSync(volume);
    writeFileSync(join(snapshot, 'marker.txt'), 'seed\n');
    writeFileSync(join(volume, 'marker.txt'), 'changed\n');
    writeFileSync(join(volume, 'added-later.txt'), 'new\n');
    await overwrite(snapshot, volume);
    expect(readFileSync(join(volume, 'marker.txt'), 'utf8')).toBe('seed\n');
    expect(existsSync(join(volume, 'added-later.txt'))).toBe(true);
  });
});
