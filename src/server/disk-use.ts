// How full the disks are that cc-ci fills: the store (run folders, logs, artifacts, the database)
// and Docker's data root (images, volumes of test apps). Free space comes from statfs; the store's
// size from a walk of its folder, so the whole sample is kept for a minute and taken again only
// when someone (a scrape, /healthz, the overview) asks after that.
import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../model/errors.js';

export const DISK_SAMPLE_MAX_AGE_MS = 60_000;

export type VolumeName = 'store' | 'docker';

export interface VolumeUse {
  volume: VolumeName;
  /** The folder whose filesystem was measured (Docker's: its DockerRootDir). */
  path?: string;
  freeBytes?: number;
  totalBytes?: number;
  /** Why it was not measured (Docker on another machine, statfs failed). */
  skipped?: string;
}

export interface DiskSample {
  /** When it was taken (ms since the epoch). */
  at: number;
  /** Disk space the store's files take (allocated blocks, symlinks not followed); undefined when unreadable. */
  storeSizeBytes?: number;
  volumes: VolumeUse[];
}

export interface DiskUse {
  /** The last sample when younger than a minute, else a new one (one at a time; never rejects). */
  sample(): Promise<DiskSample>;
}

export interface DiskUseOptions {
  storeDir: string;
  /** swarm.dockerHost: Docker's data root can only be measured here when the engine is on this machine. */
  dockerHost: string;
  /** Asks the engine for its DockerRootDir. */
  dockerRoot: () => Promise<string>;
  now?: () => number;
  maxAgeMs?: number;
}

export function createDiskUse(opts: DiskUseOptions): DiskUse {
  const now = opts.now ?? Date.now;
  const maxAgeMs = opts.maxAgeMs ?? DISK_SAMPLE_MAX_AGE_MS;
  let last: DiskSample | undefined;
  let taking: Promise<DiskSample> | undefined;
  return {
    sample() {
      if (last && now() - last.at < maxAgeMs) return Promise.resolve(last);
      taking ??= take(opts, now()).then((s) => {
        last = s;
        taking = undefined;
        return s;
      });
      return taking;
    },
  };
}

async function take(opts: DiskUseOptions, at: number): Promise<DiskSample> {
  const [storeSizeBytes, store, docker] = await Promise.all([
    sizeOf(opts.storeDir).catch(() => undefined),
    measure('store', opts.storeDir),
    dockerVolume(opts),
  ]);
  return { at, storeSizeBytes, volumes: [store, docker] };
}

async function dockerVolume(opts: DiskUseOptions): Promise<VolumeUse> {
  if (!opts.dockerHost.startsWith('unix:')) {
    return { volume: 'docker', skipped: `the engine at ${opts.dockerHost} keeps its data on another machine` };
  }
  let root: string;
  try {
    root = await opts.dockerRoot();
  } catch (err) {
    return { volume: 'docker', skipped: `Docker did not say where its data root is: ${errorMessage(err)}` };
  }
  if (!root) return { volume: 'docker', skipped: 'Docker did not say where its data root is' };
  return measure('docker', root);
}

async function measure(volume: VolumeName, path: string): Promise<VolumeUse> {
  try {
    const fs = await statfs(path);
    return { volume, path, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  } catch (err) {
    return { volume, path, skipped: `statfs ${path}: ${errorMessage(err)}` };
  }
}

/** Allocated bytes under a folder, like du: files that vanish during the walk (a prune) count 0. */
async function sizeOf(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.blocks * 512;
  const names = await readdir(path).catch(() => [] as string[]);
  let total = st.blocks * 512;
  for (const name of names) total += await sizeOf(join(path, name));
  return total;
}
