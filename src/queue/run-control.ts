// What the server's pages, API and the forge bridge may do with runs: the scheduler's face.
import type { RunEventLine } from '../model/run-events.js';
import type { RunFolder } from '../model/run-folder.js';
import type { RunRecord, TriggeredRequest } from '../model/run.js';

/** A run changed: its record now, and the event that changed it when one did. */
export type RunChange = { run: RunRecord; event?: RunEventLine };

export interface RunControl {
  /** Queues a validated request; superseding older runs of the same recipe and PR. */
  enqueue(req: TriggeredRequest): RunRecord;
  /** Cancels a queued or running run; resolves once it has ended (a running one tears down first). */
  cancel(id: string, message?: string): Promise<RunRecord | undefined>;
  /** 1-based place among queued runs. */
  queuePosition(id: string): number | undefined;
  /** Every change of every run, as it happens. */
  onChange(listener: (change: RunChange) => void): () => void;
  /** The run's folder (model/run-folder.ts). */
  runFiles(id: string): RunFolder;
  /** While serve drains (an upgrade's stop): the runs it waits for and until when; undefined otherwise. */
  drainState?(): { running: number; until: Date } | undefined;
  /** Where the running runs execute: the executor, and the runner host (`local` for this one). */
  runningWhere?(): Array<{ executor: string; host: string }>;
}
