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
import type { PrunableRepo } from '../../../src/backupbot/backup-repo.js';
import type { ImageHost, ImagesInUse } from '../../../src/docker/images.js';
import type { ImageFact } from '../../../src/model/image-retention.js';

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
      // Images and the backup repository are off here: their tests below hand in their own ports.
      'retention: {days: 30, keepPerRecipe: 1, images: false, resticPrune: false}\n',
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
    expect(lines[3]).toMatch(/^retention: pruned the folders of 1 run\(s\), 500 bytes .*: ancient$/);
    expect(existsSync(runFolder(storeDir, 'ancient').dir)).toBe(false);
    expect(existsSync(runFolder(storeDir, 'old').log)).toBe(true);
    expect(lines.slice(4)).toEqual([
      'images: not pruned (retention.images: false)',
      'backups: not pruned (retention.resticPrune: false)',
    ]);
  });
});

const HOUR = 3_600_000;

/** A pulled image (it has a repo digest) built a year ago. */
function pulled(tag: string, size: number, over: Partial<ImageFact> = {}): ImageFact {
  const repo = tag.slice(0, tag.lastIndexOf(':'));
  return {
    id: `sha256:${repo}-id`,
    tags: [tag],
    digests: [`${repo}@sha256:${repo}-digest`],
    created: Date.now() - 365 * 24 * HOUR,
    size,
    ...over,
  };
}

/** The host's images in memory; removing one records it. */
function imageHost(images: ImageFact[], inUse: Partial<ImagesInUse> = {}, takenMeanwhile: string[] = []) {
  const removed: string[] = [];
  const host: ImageHost = {
    images: async () => images,
    inUse: async () => ({ containerImages: new Set(), serviceImages: [], ...inUse }),
    remove: async (image) => {
      if (takenMeanwhile.includes(image.tags[0]!)) return 'in-use';
      removed.push(image.tags[0]!);
      return 'removed';
    },
  };
  return { host, removed };
}

function backupRepo(prune: PrunableRepo['prune']) {
  const calls: Array<{ dryRun?: boolean } | undefined> = [];
  const repo: PrunableRepo = {
    list: async () => [],
    forget: async () => {},
    prune: async (opts) => {
      calls.push(opts);
      return prune(opts);
    },
  };
  return { repo, calls };
}

/** Results of a run whose install app ran these images, as the run writes them. */
function resultsWith(id: string, services: Array<{ name: string; image: string; digest?: string }>) {
  return {
    schemaVersion: 2,
    runId: id,
    recipe: 'custom-html',
    repo: 'r',
    ref: 'main',
    versions: {},
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    stages: [],
    level: 1,
    verdict: 'pass',
    apps: [{ role: 'install', domain: 'cust-1a2b3c.ci.test', stack: 'cust-1a2b3c_ci_test', services }],
    teardown: { clean: true, left: [], durationMs: 0 },
    artifacts: [],
  };
}

describe('cc-ci store prune: images and the backup repository', () => {
  beforeEach(() =>
    writeFileSync(
      configFile,
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n' +
        'retention: {images: {olderThan: 24h, keep: ["registry.example.org/*"]}}\n',
    ),
  );

  it('removes the old pulled images nothing uses and says how many and how many bytes; keeps the rest', async () => {
    const store = new RunStore(join(storeDir, 'cc-ci.db'));
    // A run that ended an hour ago used postgres:15: the next one will want it again.
    finishedRun(store, 'recent', new Date(Date.now() - HOUR));
    writeFileSync(
      runFolder(storeDir, 'recent').results,
      JSON.stringify(resultsWith('recent', [{ name: 'db', image: 'postgres:15', digest: 'sha256:postgres-digest' }])),
    );
    store.close();
    const { host, removed } = imageHost(
      [
        pulled('nginx:1.25', 1_000_000),
        pulled('redis:7', 2_000_000),
        pulled('postgres:15', 4_000),
        pulled('mariadb:11', 8_000),
        pulled('registry.example.org/ops/tool:1', 16_000),
        // Built here, as the testbed's images: no registry could give it back.
        { ...pulled('ccci/app:1', 32_000), digests: [] },
        pulled('taken:1', 64_000),
      ],
      { containerImages: new Set(['sha256:mariadb-id']) },
      ['taken:1'],
    );
    const { repo } = backupRepo(async () => ({
      bot: 'backups_app',
      freed: '2 blobs / 499 B',
      remaining: '4 blobs / 1 KiB',
    }));

    expect(
      await storePruneCommand({ config: configFile }, new SecretRegistry(), out, { images: host, backups: repo }),
    ).toBe(0);
    expect(removed).toEqual(['nginx:1.25', 'redis:7']);
    expect(lines[1]).toBe(
      'images: removed 2 image(s) no container or service uses, built and unused by runs for 1d, 3000000 bytes ' +
        '(2.9 MiB; layers shared with kept images stay): nginx:1.25, redis:7; kept 1 used by a container, ' +
        '1 used by a recent run, 1 matched retention.images.keep, 1 never pulled (no registry to pull them again); ' +
        '1 taken by a container meanwhile stayed',
    );
    expect(lines[2]).toBe('backups: restic prune in backups_app freed 2 blobs / 499 B; 4 blobs / 1 KiB remain');
  });

  it('--dry-run removes nothing and asks restic only what it would free', async () => {
    const { host, removed } = imageHost([pulled('nginx:1.25', 1_000)]);
    const { repo, calls } = backupRepo(async () => ({ bot: 'backups_app', freed: '0 blobs / 0 B' }));
    const ports = { images: host, backups: repo };
    expect(await storePruneCommand({ config: configFile, dryRun: true }, new SecretRegistry(), out, ports)).toBe(0);
    expect(removed).toEqual([]);
    expect(calls).toEqual([{ dryRun: true }]);
    expect(lines[1]).toMatch(/^images: would remove 1 image\(s\) .*1000 bytes .*: nginx:1\.25;/);
    expect(lines[2]).toBe('backups: restic prune in backups_app would free 0 blobs / 0 B');
  });

  it('leaves the backup repository alone while a run goes, and says why', async () => {
    const store = new RunStore(join(storeDir, 'cc-ci.db'));
    store.insertRun('going', request());
    store.markRunning('going', 123);
    store.close();
    const { repo, calls } = backupRepo(async () => ({ bot: 'backups_app' }));
    const ports = { images: imageHost([]).host, backups: repo };
    expect(await storePruneCommand({ config: configFile }, new SecretRegistry(), out, ports)).toBe(0);
    expect(calls).toEqual([]);
    expect(lines[2]).toMatch(/^backups: not pruned: 1 run\(s\) going, whose backups and forgets a prune would lock/);
  });

  it('a part that fails says why and exits 3; the other parts still run', async () => {
    const host: ImageHost = {
      images: async () => {
        throw new Error('Docker Engine: listing images failed: connect ENOENT /var/run/docker.sock');
      },
      inUse: async () => ({ containerImages: new Set(), serviceImages: [] }),
      remove: async () => 'removed',
    };
    const { repo } = backupRepo(async () => undefined);
    expect(
      await storePruneCommand({ config: configFile }, new SecretRegistry(), out, { images: host, backups: repo }),
    ).toBe(3);
    expect(lines[0]).toMatch(/^retention: pruned the folders of 0 run/);
    expect(lines[1]).toBe(
      'images: could not prune: Docker Engine: listing images failed: connect ENOENT /var/run/docker.sock; ' +
        'check that Docker answers at swarm.dockerHost (cc-ci doctor)',
    );
    expect(lines[2]).toMatch(/^backups: no running backup bot .*: nothing to prune$/);
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
