// A RunControl that runs nothing, for tests and benchmarks of the server: enqueue stores the run,
// changes are told to listeners as the scheduler tells them, and every call is recorded.
import { EventEmitter } from 'node:events';
import { runFolder, type RunFolder } from '../../src/model/run-folder.js';
import type { RunChange } from '../../src/queue/run-control.js';
import type { RunControl } from '../../src/queue/run-control.js';
import type { RunRecord, TriggeredRequest } from '../../src/model/run.js';
import type { RunEnd, RunStore } from '../../src/queue/store.js';
import type { RunEventLine } from '../../src/model/run-events.js';

export interface FakeRunControlOptions {
  /** Run ids are `<idPrefix>-<n>`. */
  idPrefix?: string;
  /**
   * What cancel does: `hang` never answers (a running run answers only after its teardown),
   * `record` answers with the run as it is, `finish` ends it `cancelled` first.
   */
  cancel?: 'hang' | 'record' | 'finish';
}

export class FakeRunControl implements RunControl {
  readonly enqueued: TriggeredRequest[] = [];
  readonly cancelled: Array<{ id: string; message?: string }> = [];
  readonly emitter = new EventEmitter();
  /** What runningWhere answers: where the running runs execute. */
  where: Array<{ executor: string; host: string }> = [];
  private n = 0;

  constructor(
    private readonly store: RunStore,
    private readonly storeDir: string,
    private readonly opts: FakeRunControlOptions = {},
  ) {
    this.emitter.setMaxListeners(0);
  }

  enqueue(req: TriggeredRequest): RunRecord {
    this.enqueued.push(req);
    const run = this.store.insertRun(`${this.opts.idPrefix ?? 'fake'}-${++this.n}`, req);
    this.emit(run);
    return run;
  }

  async cancel(id: string, message?: string): Promise<RunRecord | undefined> {
    this.cancelled.push({ id, message });
    if (this.opts.cancel === 'hang') return new Promise(() => undefined);
    if (this.opts.cancel === 'finish')
      this.finish(id, { state: 'cancelled', error: { code: 'CANCELLED', message: message ?? 'cancelled' } });
    return this.store.getRun(id);
  }

  /** Ends a run in the store (now, or at `at`) and says so, as the scheduler does. */
  finish(id: string, end: RunEnd, at?: Date): void {
    if (this.store.finishRun(id, end, at)) this.emit(this.store.getRun(id)!);
  }

  /** Tells listeners of a change, with an event of the child's when given. */
  emit(run: RunRecord, event?: Partial<RunEventLine>): void {
    const line = event
      ? ({ runId: run.id, seq: 1, at: new Date().toISOString(), ...event } as RunEventLine)
      : undefined;
    this.emitter.emit('change', { run, event: line } satisfies RunChange);
  }

  runningWhere(): Array<{ executor: string; host: string }> {
    return this.where;
  }

  queuePosition(id: string): number | undefined {
    const i = this.store.inState('queued').findIndex((r) => r.id === id);
    return i >= 0 ? i + 1 : undefined;
  }

  onChange(listener: (change: RunChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  runFiles(id: string): RunFolder {
    return runFolder(this.storeDir, id);
  }
}
