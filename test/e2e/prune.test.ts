// `cc-ci store prune` on the real Engine and the testbed's backup bot (issue 16, item 6): an image
// pulled from a registry (here: one this file builds from the testbed's base and pushes to the
// stand-in registry's kept/, which gives it RepoDigests) is kept while a container uses it and
// removed once none does; the testbed's own images, built here and never pulled, stay. Then the
// bot's restic repository is pruned after a forget, and the output says what was freed.
//
// It touches only what it made: its image (a label and a tag of its own), its container, its
// snapshot. Before the real prune, a dry run must name no image but its own, or the test stops.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startRegistry, type Registry } from '../../testbed/registry/main.js';
import { cli, docker, lane, repoSnapshots } from './helpers.js';

const nonce = `${process.pid}-${randomBytes(3).toString('hex')}`;
const LABEL = 'cc-ci.e2e.prune';
const BASE = 'local/debian:bookworm';
const container = `ccci-prune-${nonce}`;
const backupsDir = '/var/lib/cc-ci-testbed/backups';
const src = join(backupsDir, `e2e-prune-${nonce}`);
let registry: Registry;
let image: string;

/** The lane's config with retention as given. */
function configWith(retention: object): string {
  const doc = parse(readFileSync(lane.config, 'utf8'));
  doc.retention = retention;
  const file = join(mkdtempSync('/tmp/cc-ci-prune-cfg-'), 'cc-ci.yml');
  writeFileSync(file, stringify(doc));
  return file;
}

async function storePrune(config: string, dryRun = false) {
  const r = await execa(
    process.execPath,
    [cli, 'store', 'prune', '--config', config, ...(dryRun ? ['--dry-run'] : [])],
    {
      reject: false,
    },
  );
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const imagesLine = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('images: '))!;

/** The images a line names as removed (or to be): what follows the first ': ' up to '; kept'. */
function namedIn(line: string): string[] {
  const m = /image\(s\) .*?\): (.*?); kept /.exec(line);
  return m ? m[1]!.split(', ') : [];
}

async function inspect(ref: string) {
  const r = await execa('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', ref], { reject: false });
  return r.exitCode === 0 ? (JSON.parse(r.stdout) as string[]) : undefined;
}

beforeAll(async () => {
  registry = await startRegistry();
  image = `${registry.host}/kept/ccci-prune-${nonce}:1`;
  // A label of our own makes an image of our own (its own id), not another name for the base.
  const build = await execa('docker', ['build', '--force-rm', '--label', `${LABEL}=${nonce}`, '-t', image, '-'], {
    input: `FROM ${BASE}\n`,
    env: { DOCKER_BUILDKIT: '0' },
    reject: false,
  });
  expect(build.exitCode, build.stderr).toBe(0);
  const push = await execa('docker', ['push', image], { reject: false });
  expect(push.exitCode, push.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await execa('docker', ['rm', '-f', container], { reject: false });
  if (image) await execa('docker', ['image', 'rm', '-f', image], { reject: false });
  await registry?.close();
  rmSync(src, { recursive: true, force: true });
});

describe('cc-ci store prune: images', () => {
  // Built a second ago counts as old; the backup repository is left to the next test.
  const config = () => configWith({ images: { olderThan: '1s' }, resticPrune: false });

  it('a pushed image has RepoDigests, the testbed base none', async () => {
    expect((await inspect(image))?.[0]).toMatch(new RegExp(`^${registry.host}/kept/ccci-prune-${nonce}@sha256:`));
    expect(await inspect(BASE)).toEqual([]);
  });

  it('keeps the pulled image while a stopped container uses it, and removes it once none does', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const created = await execa('docker', [
      'create',
      '--name',
      container,
      '--label',
      `${LABEL}=${nonce}`,
      image,
      'true',
    ]);
    expect(created.exitCode).toBe(0);
    // The guard: with ours held, no image may go (the testbed's are all built here).
    const dryHeld = await storePrune(config(), true);
    expect(dryHeld.exitCode, dryHeld.stdout + dryHeld.stderr).toBe(0);
    expect(namedIn(imagesLine(dryHeld.stdout)), dryHeld.stdout).toEqual([]);
    const held = await storePrune(config());
    expect(held.exitCode, held.stdout + held.stderr).toBe(0);
    expect(imagesLine(held.stdout)).toMatch(/^images: removed 0 image\(s\) .*; kept .*\d+ used by a container/);
    expect(await inspect(image)).toBeDefined();

    await execa('docker', ['rm', container]);
    // The guard: only our own image may go.
    const dry = await storePrune(config(), true);
    expect(namedIn(imagesLine(dry.stdout)), dry.stdout).toEqual([image]);
    const pruned = await storePrune(config());
    expect(pruned.exitCode, pruned.stdout + pruned.stderr).toBe(0);
    expect(imagesLine(pruned.stdout)).toMatch(
      new RegExp(`^images: removed 1 image\\(s\\) .*, [1-9]\\d* bytes .*: ${image.replace(/[.]/g, '\\.')};`),
    );
    expect(imagesLine(pruned.stdout)).toMatch(/never pulled \(no registry to pull them again\)/);
    expect(await inspect(image)).toBeUndefined();
    // The testbed's images, built here, stay.
    expect(await inspect(BASE)).toEqual([]);
  });
});

describe('cc-ci store prune: the backup repository', () => {
  it("forgotten snapshots' data is freed by restic prune in the bot, and the output says how much", async () => {
    mkdirSync(src, { recursive: true });
    // Random bytes: no other snapshot holds this data, so forgetting ours leaves it unreferenced.
    writeFileSync(join(src, 'data.bin'), randomBytes(256 * 1024));
    const made = await docker.execInNamedService('backups_app', [
      'restic',
      'backup',
      '--tag',
      `e2e-prune-${nonce}`,
      src,
    ]);
    expect(made.exitCode, made.stderr).toBe(0);
    const ours = (await repoSnapshots()).filter((s) => s.tags?.includes(`e2e-prune-${nonce}`)).map((s) => s.id);
    expect(ours).toHaveLength(1);
    const forgot = await docker.execInNamedService('backups_app', ['restic', 'forget', ...ours]);
    expect(forgot.exitCode, forgot.stderr).toBe(0);

    const r = await storePrune(configWith({ images: false, resticPrune: true }));
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('images: not pruned (retention.images: false)');
    expect(r.stdout).toMatch(/^backups: restic prune in backups_app freed [1-9]\d* blobs \/ [\d.]+ \w+; \d+ blobs/m);
  }, 120_000);
});
