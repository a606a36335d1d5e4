// Disk use on /metrics, /healthz and the overview: the store's size and the free space of the
// filesystems of the store and Docker's data root, measured on real temp folders, sampled at most
// once a minute, and a warning once the free space is below dashboard.minFreeSpace.
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { buildServer } from '../../../src/server/app.js';
import { createDiskUse, type DiskUseOptions } from '../../../src/server/disk-use.js';
import { createMetrics } from '../../../src/server/metrics.js';
import type { ServerDeps } from '../../../src/server/server-deps.js';
import { FakeRunControl } from '../../support/fake-run-control.js';

const root = mkdtempSync(join(tmpdir(), 'cc-ci-disk-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MiB = 2 ** 20;

function folders() {
  const dir = mkdtempSync(join(root, 'w-'));
  const store = join(dir, 'store');
  const dockerRoot = join(dir, 'docker');
  mkdirSync(join(store, 'runs', 'r1', 'artifacts'), { recursive: true });
  mkdirSync(dockerRoot);
  writeFileSync(join(store, 'runs', 'r1', 'artifacts', 'run.log'), Buffer.alloc(MiB, 1));
  return { dir, store, dockerRoot };
}

describe('disk use sampler', () => {
  it("measures the store's size and both filesystems; Docker's root comes from the engine", async () => {
    const { store, dockerRoot } = folders();
    const disk = createDiskUse({
      storeDir: store,
      dockerHost: 'unix:///var/run/docker.sock',
      dockerRoot: async () => dockerRoot,
    });
    const s = await disk.sample();
    expect(s.storeSizeBytes).toBeGreaterThanOrEqual(MiB);
    expect(s.storeSizeBytes).toBeLessThan(MiB + 1024 * 1024);
    const fs = statfsSync(store);
    const [st, dk] = s.volumes;
    expect(st).toMatchObject({ volume: 'store', path: store, totalBytes: fs.blocks * fs.bsize });
    expect(st!.freeBytes).toBeGreaterThan(0);
    expect(st!.freeBytes).toBeLessThanOrEqual(st!.totalBytes!);
    expect(dk).toMatchObject({ volume: 'docker', path: dockerRoot });
    expect(dk!.freeBytes).toBeGreaterThan(0);
  });

  it("skips Docker's root with a reason: an engine on another machine, an engine that does not answer", async () => {
    const { store } = folders();
    const base: DiskUseOptions = { storeDir: store, dockerHost: 'tcp://10.0.0.5:2375', dockerRoot: async () => '/' };
    const remote = await createDiskUse(base).sample();
    expect(remote.volumes[1]).toEqual({ volume: 'docker', skipped: expect.stringMatching(/on another machine/) });
    const silent = await createDiskUse({
      ...base,
      dockerHost: 'unix:///nowhere/docker.sock',
      dockerRoot: () => Promise.reject(new Error('connect ENOENT /nowhere/docker.sock')),
    }).sample();
    expect(silent.volumes[1]).toEqual({ volume: 'docker', skipped: expect.stringMatching(/ENOENT/) });
  });

  it("keeps a sample for a minute: the store's size is walked again only after that", async () => {
    const { store, dockerRoot } = folders();
    let now = 1_000_000;
    let asked = 0;
    const disk = createDiskUse({
      storeDir: store,
      dockerHost: 'unix:///var/run/docker.sock',
      dockerRoot: async () => {
        asked += 1;
        return dockerRoot;
      },
      now: () => now,
    });
    const first = await disk.sample();
    writeFileSync(join(store, 'more'), Buffer.alloc(2 * MiB, 1));
    now += 59_000;
    expect(await disk.sample()).toBe(first);
    now += 2_000;
    const second = await disk.sample();
    expect(second.storeSizeBytes! - first.storeSizeBytes!).toBeGreaterThanOrEqual(2 * MiB);
    expect(asked).toBe(2);
  });
});

describe('disk use on the server', () => {
  let app: FastifyInstance | undefined;
  let store: RunStore | undefined;
  afterEach(async () => {
    await app?.close();
    store?.close();
    app = undefined;
  });

  async function serve(minFreeSpace: string) {
    const { dir, store: storeDir, dockerRoot } = folders();
    writeFileSync(
      join(dir, 'cc-ci.yml'),
      [
        'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
        'store: ./store',
        `dashboard: {minFreeSpace: ${minFreeSpace}}`,
      ].join('\n'),
    );
    const secrets = new SecretRegistry();
    const config = loadConfig({ path: join(dir, 'cc-ci.yml'), env: { CCCI_ADMIN_TOKEN: 'x'.repeat(32) }, secrets });
    store = new RunStore(':memory:');
    const runs = new FakeRunControl(store, config.store, { cancel: 'record' });
    const disk = createDiskUse({ storeDir, dockerHost: config.swarm.dockerHost, dockerRoot: async () => dockerRoot });
    const deps: ServerDeps = {
      config,
      store,
      runs,
      secrets,
      log: createLogger({ secrets, console: false, level: 'silent' }).log,
      metrics: createMetrics({ store, runs, disk, minFreeBytes: config.dashboard.minFreeSpace }),
      recipes: () => ['custom-html'],
      disk,
    };
    app = await buildServer(deps);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return { base, storeDir, dockerRoot };
  }

  const gauge = (text: string, name: string, labels = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  it('/metrics: the store size and the free space of both filesystems, with plausible values', async () => {
    const { base, storeDir, dockerRoot } = await serve('1MiB');
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(gauge(text, 'ccci_store_size_bytes')).toBeGreaterThanOrEqual(MiB);
    const free = gauge(text, 'ccci_filesystem_free_bytes', `volume="store",path="${storeDir}"`);
    const size = gauge(text, 'ccci_filesystem_size_bytes', `volume="store",path="${storeDir}"`);
    expect(free).toBeGreaterThan(0);
    expect(size).toBeGreaterThanOrEqual(free!);
    expect(gauge(text, 'ccci_filesystem_free_bytes', `volume="docker",path="${dockerRoot}"`)).toBeGreaterThan(0);
    expect(gauge(text, 'ccci_min_free_bytes')).toBe(MiB);
  });

  it('above the free space, /healthz is degraded and the overview warns; below it, neither', async () => {
    const low = await serve('1024TiB');
    const health = (await (await fetch(`${low.base}/healthz`)).json()) as {
      status: string;
      disk: { low: { volume: string; message: string; fix: string }[] };
    };
    expect(health.status).toBe('degraded');
    expect(health.disk.low.map((w) => w.volume)).toEqual(['store', 'docker']);
    expect(health.disk.low[0]!.message).toMatch(
      /free on the filesystem of .* below dashboard\.minFreeSpace \(1\.0 PiB\)/,
    );
    expect(health.disk.low[0]!.fix).toMatch(/retention/);
    const page = await (await fetch(`${low.base}/`)).text();
    expect(page).toContain('data-volume="store"');
    expect(page).toContain('Free space is low');
    await app?.close();
    store?.close();
    app = undefined;
    store = undefined;

    const fine = await serve('1MiB');
    const ok = (await (await fetch(`${fine.base}/healthz`)).json()) as { status: string; disk: { low: unknown[] } };
    expect(ok.status).toBe('ok');
    expect(ok.disk.low).toEqual([]);
    expect(await (await fetch(`${fine.base}/`)).text()).not.toContain('Free space is low');
  });
});
