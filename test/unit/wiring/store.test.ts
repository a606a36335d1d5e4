// `cc-ci store prune` and `cc-ci store backup` against a real store folder and SQLite file.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { runFolder } from '../../../src/model/run-folder.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { storeBackupCommand, storePruneCommand } from '../../../src/wiring/store.js';

let dir: string;
let configFile: string;
let storeDir: string;
const lines: string[] = [];
const out = { say: (line: string) => lines.push(line) };

function request(): TriggeredRequest {
  return {
    recipe: 'custom-html',
    repo: 'https://git.example.org/coop-cloud/custom-html.git',
    ref: 'refs/pull/7/head',
    pr: 7,
    stages: [],
    keep: false,
    trigger: { kind: 'api' },
  };
}

function finishedRun(store: RunStore, id: string, at: Date): void {
  store.insertRun(id, request(), at);
  store.finishRun(id, { state: 'failed', verdict: 'fail', level: 0 }, at);
  mkdirSync(runFolder(storeDir, id).artifacts, { recursive: true });
  writeFileSync(runFolder(storeDir, id).log, 'x'.repeat(500));
}

beforeEach(() => {
  lines.length = 0;
  dir = mkdtempSync(join(tmpdir(), 'cc-ci-store-cmd-'));
  storeDir = join(dir, 'store');
  configFile = join(dir, 'cc-ci.yml');
  writeFileSync(
    configFile,
    'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n' +
      'retention: {days: 30, keepPerRecipe: 1}\n',
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cc-ci store prune', () => {
  it('--dry-run says what it would prune and changes nothing; without it, prunes', async () => {
    const store = new RunStore(join(storeDir, 'cc-ci.db'));
    finishedRun(store, 'ancient', new Date('2020-01-01T00:00:00Z'));
    finishedRun(store, 'old', new Date('2020-02-01T00:00:00Z'));
    store.close();

    expect(await storePruneCommand({ config: configFile, dryRun: true }, new SecretRegistry(), out)).toBe(0);
    expect(lines[0]).toMatch(/would prune the folders of 1 run\(s\), 500 bytes .*: ancient$/);
    expect(existsSync(runFolder(storeDir, 'ancient').log)).toBe(true);
    const after = new RunStore(join(storeDir, 'cc-ci.db'));
    expect(after.getRun('ancient')?.prunedAt).toBeUndefined();
    after.close();

    expect(await storePruneCommand({ config: configFile }, new SecretRegistry(), out)).toBe(0);
    expect(lines[1]).toMatch(/^retention: pruned the folders of 1 run\(s\), 500 bytes .*: ancient$/);
    expect(existsSync(runFolder(storeDir, 'ancient').dir)).toBe(false);
    expect(existsSync(runFolder(storeDir, 'old').log)).toBe(true);
  });
});

describe('cc-ci store backup', () => {
  it('copies the database while another connection writes; the copy opens and holds the runs', async () => {
    const writer = new RunStore(join(storeDir, 'cc-ci.db'));
    for (let i = 0; i < 200; i++) writer.insertRun(`run-${i}`, request());
    // Another connection writes while the backup copies, as a running serve would.
    let writing = true;
    let written = 0;
    const keepWriting = async () => {
      while (writing) {
        writer.insertRun(`during-${written++}`, request());
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const background = keepWriting();
    const copy = join(dir, 'copy.db');
    expect(await storeBackupCommand(copy, { config: configFile }, new SecretRegistry(), out)).toBe(0);
    writing = false;
    await background;
    writer.close();

    const db = new Database(copy, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const count = (db.prepare("SELECT count(*) AS n FROM runs WHERE id LIKE 'run-%'").get() as { n: number }).n;
    expect(count).toBe(200);
    db.close();
    expect(lines[0]).toContain(`backed up the run store to ${copy}`);
  });

  it('refuses to overwrite a file unless --force', async () => {
    new RunStore(join(storeDir, 'cc-ci.db')).close();
    const copy = join(dir, 'copy.db');
    writeFileSync(copy, 'precious');
    await expect(storeBackupCommand(copy, { config: configFile }, new SecretRegistry(), out)).rejects.toThrow(
      /exists: choose another file, or pass --force/,
    );
    expect(await storeBackupCommand(copy, { config: configFile, force: true }, new SecretRegistry(), out)).toBe(0);
    const db = new Database(copy, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBeGreaterThan(0);
    db.close();
  });
});
