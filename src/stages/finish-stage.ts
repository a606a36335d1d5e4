// Turns a stage's rows (and the error that ended it, if any) into its result: `fail` when the
// recipe failed a row, `error` when infrastructure broke, `pass` otherwise.
import { errorMessage } from '../errors.js';
import type { CheckRow, StageName, StageResult } from '../model/stage.js';

export function finishStage(name: StageName, started: number, checks: CheckRow[], err?: unknown): StageResult {
  const failed = checks.find((r) => r.status === 'fail');
  const broke = checks.find((r) => r.status === 'error');
  const base = { name, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, checks };
  if (failed) return { ...base, status: 'fail', reason: `${failed.name}: ${failed.detail ?? 'failed'}` };
  if (broke) return { ...base, status: 'error', reason: `${broke.name}: ${broke.detail ?? 'broke'}` };
  if (err) return { ...base, status: 'error', reason: errorMessage(err) };
  return { ...base, status: 'pass' };
}
