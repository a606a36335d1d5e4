// When free space is low enough to warn about (dashboard.minFreeSpace): a run that fills the
// store's or Docker's disk fails in ways that look like the recipe's fault, so /healthz and the
// overview say so before it happens.
import { formatByteSize } from '../config/byte-size.js';
import type { DiskSample, VolumeName } from './disk-use.js';

export interface DiskWarning {
  volume: VolumeName;
  path: string;
  freeBytes: number;
  minFreeBytes: number;
  message: string;
  fix: string;
}

const FIX: Record<VolumeName, string> = {
  store:
    'free space there: lower retention.days or retention.keepPerRecipe (old run folders are pruned daily), ' +
    'or move the store to a larger disk',
  docker: 'free space there: docker image prune -a removes images no container uses; or give Docker a larger disk',
};

export function lowDiskWarnings(sample: DiskSample, minFreeBytes: number): DiskWarning[] {
  return sample.volumes.flatMap((v) =>
    v.path !== undefined && v.freeBytes !== undefined && v.freeBytes < minFreeBytes
      ? [
          {
            volume: v.volume,
            path: v.path,
            freeBytes: v.freeBytes,
            minFreeBytes,
            message:
              `${formatByteSize(v.freeBytes)} free on the filesystem of ${v.path} ` +
              `(${v.volume === 'store' ? "cc-ci's store" : "Docker's data root"}), ` +
              `below dashboard.minFreeSpace (${formatByteSize(minFreeBytes)})`,
            fix: FIX[v.volume],
          },
        ]
      : [],
  );
}
