// Image retention's use case (`cc-ci store prune`): reads the images and what uses them, adds what
// the store's recent runs used (their results.json), lets model/image-retention.ts pick, removes.
import { readFileSync } from 'node:fs';
import { formatByteSize } from '../config/byte-size.js';
import type { ImageHost } from '../docker/images.js';
import {
  imagesToPrune,
  type ImageFact,
  type ImagePolicy,
  type ImageUse,
  type KeptBecause,
} from '../model/image-retention.js';
import { runResultsSchema } from '../model/results.js';
import { runFolder } from '../model/run-folder.js';
import type { RunStore } from './store.js';

export interface ImagePruneReport {
  /** The images removed (or, dry, that would be). */
  removed: ImageFact[];
  bytes: number;
  /** Images a container took between the listing and the removal: they stay. */
  tookMeanwhile: ImageFact[];
  /** How many images stayed, by why. */
  kept: Partial<Record<KeptBecause, number>>;
  dryRun: boolean;
}

export interface ImagePruneOptions {
  host: ImageHost;
  store: RunStore;
  storeDir: string;
  policy: ImagePolicy;
  now: Date;
  dryRun?: boolean;
}

export async function pruneImages(opts: ImagePruneOptions): Promise<ImagePruneReport> {
  const now = opts.now.getTime();
  const [images, inUse] = [await opts.host.images(), await opts.host.inUse()];
  const use: ImageUse = {
    ...inUse,
    usedByRuns: imagesUsedByRuns(opts.store, opts.storeDir, now - opts.policy.olderThan),
  };
  const verdict = imagesToPrune(images, use, now, opts.policy);
  const report: ImagePruneReport = { removed: [], bytes: 0, tookMeanwhile: [], kept: {}, dryRun: opts.dryRun === true };
  for (const { because } of verdict.kept) report.kept[because] = (report.kept[because] ?? 0) + 1;
  for (const image of verdict.prune) {
    const outcome = report.dryRun ? 'removed' : await opts.host.remove(image);
    if (outcome === 'in-use') {
      report.tookMeanwhile.push(image);
      continue;
    }
    report.removed.push(image);
    report.bytes += image.size;
  }
  return report;
}

/**
 * The images of the runs that finished since `since` (ms) and whose folder is still there, as their
 * results.json names them. A run's apps are gone after it, so only the store remembers their images.
 */
export function imagesUsedByRuns(store: RunStore, storeDir: string, since: number): ImageUse['usedByRuns'] {
  const used: Array<{ image: string; digest?: string; at: number }> = [];
  for (const row of store.retentionRows()) {
    const at = row.finishedAt ? Date.parse(row.finishedAt) : Date.now();
    if (at < since) continue;
    let results;
    try {
      results = runResultsSchema.parse(JSON.parse(readFileSync(runFolder(storeDir, row.id).results, 'utf8')));
    } catch {
      continue; // refused before it deployed, or still running (its services are in use)
    }
    for (const app of results.apps) {
      for (const s of app.services ?? []) used.push({ image: s.image, ...(s.digest ? { digest: s.digest } : {}), at });
    }
  }
  return used;
}

const reasons: Record<KeptBecause, string> = {
  container: 'used by a container',
  service: 'named by a service',
  young: 'younger than the limit',
  'recent-run': 'used by a recent run',
  'keep-pattern': 'matched retention.images.keep',
  unpulled: 'never pulled (no registry to pull them again)',
};

/** One line for `cc-ci store prune`. */
export function describeImagePrune(report: ImagePruneReport, policy: ImagePolicy): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const names = report.removed.map((i) => i.tags[0] ?? i.digests[0] ?? i.id.slice(0, 19));
  const listed = names.length > 0 ? `: ${names.join(', ')}` : '';
  const kept = (Object.keys(reasons) as KeptBecause[]).flatMap((why) =>
    report.kept[why] ? [`${report.kept[why]} ${reasons[why]}`] : [],
  );
  const meanwhile =
    report.tookMeanwhile.length > 0 ? `; ${report.tookMeanwhile.length} taken by a container meanwhile stayed` : '';
  return (
    `images: ${verb} ${report.removed.length} image(s) no container or service uses, ` +
    `built and unused by runs for ${asDuration(policy.olderThan)}, ${report.bytes} bytes ` +
    `(${formatByteSize(report.bytes)}; layers shared with kept images stay)${listed}; ` +
    `kept ${kept.length > 0 ? kept.join(', ') : 'none'}${meanwhile}`
  );
}

/** 86400000 → 1d, 5400000 → 90m: the largest unit that divides it, as the config writes durations. */
function asDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}
