// The one owner of "the recipe failed" (`fail`) versus "we could not check" (`error`), DESIGN
// §3.6. Every stage, check and row asks here; nothing else turns an exception into a status.
//
// - The run was stopped (cancelled, superseded, timed out): `error`, with the stop's own code,
//   whatever the interrupted check threw on its way out.
// - A RecipeFailure (did not converge, a check saw the wrong thing, data lost, abra refused the
//   recipe): `fail`.
// - Anything else (Docker, the ingress, Chromium, abra's plumbing, git, a bug): `error`.
import { CcciError, errorMessage, RecipeFailure, stopCodes, type ErrorInfo, type StopCode } from './errors.js';
import { isRepoLocked } from '../backupbot/backup-repo.js';
import type { CheckRow, StageName, StageResult } from './stage.js';

export interface Blame extends ErrorInfo {
  status: 'fail' | 'error';
}

export function blame(err: unknown, signal?: AbortSignal): Blame {
  const stop = stopInfo(signal);
  if (stop) return { status: 'error', ...stop };
  if (err instanceof RecipeFailure) return { status: 'fail', code: err.code, message: err.message };
  if (err instanceof CcciError) return { status: 'error', code: err.code, message: err.message };
  return { status: 'error', code: 'INTERNAL', message: errorMessage(err) };
}

// abra's own plumbing, not the recipe: it cannot reach Docker, has no terminal, cannot find the
// backup bot, the server is not set up, or another restic holds the backup repository's lock. Matched on abra's output, so recipe text cannot be
// mistaken for these only when it quotes them verbatim.
const abraPlumbing = [
  /cannot connect to the docker daemon/i, /connection refused/i, /not a tty|input device is not a tty|requires a terminal/i,
  /no backup ?bot|backupbot.*not (found|deployed|running)|no running service labelled coop-cloud\.backupbot/i,
  /server .* (does not exist|not found)|unknown server/i, /unknown (flag|command)|unknown shorthand flag/i,
];

/**
 * A failed abra call that acts on the recipe (deploy, backup, restore): abra refusing the recipe
 * (bad compose, unknown version, a lint rule, a failing hook) is the recipe's failure, naming the
 * lint rule when abra names one; abra's own plumbing, a cancel or a timeout stays `error`.
 */
export function abraRecipeFailure(err: unknown): unknown {
  if (!(err instanceof CcciError) || err.code !== 'ABRA_FAILED') return err;
  if (abraPlumbing.some((re) => re.test(err.message)) || isRepoLocked(err.message)) return err;
  const rule = /\bR0\d\d\b/.exec(err.message)?.[0];
  const message = rule ? `abra refused the recipe on lint rule ${rule}: ${err.message}` : err.message;
  return new RecipeFailure('ABRA_REFUSED', message, { cause: err });
}

/** Why the run was stopped, when it was: the reason it was given, never the interrupted check's. */
export function stopInfo(signal?: AbortSignal): (ErrorInfo & { code: StopCode }) | undefined {
  if (!signal?.aborted) return undefined;
  const reason: unknown = signal.reason;
  if (reason instanceof CcciError && (stopCodes as readonly string[]).includes(reason.code)) {
    return { code: reason.code as StopCode, message: reason.message };
  }
  return { code: 'CANCELLED', message: errorMessage(reason) };
}

/** A check row for a check that threw. */
export function rowFromError(name: string, err: unknown, signal: AbortSignal | undefined, started: number): CheckRow {
  const b = blame(err, signal);
  return { name, status: b.status, code: b.code, detail: b.message.split('\n')[0], durationMs: Date.now() - started };
}

/**
 * A stage's result from its rows and the error that ended it, if any. A stage the run was
 * stopped in is `error` (its rows stay as they were); otherwise a failed row is the recipe's
 * `fail`, an errored row or an error is `error`, and no complaint is `pass`.
 */
export function finishStage(name: StageName, started: number, checks: CheckRow[], err: unknown, signal: AbortSignal | undefined): StageResult {
  const base = { name, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, checks };
  const stop = stopInfo(signal);
  if (stop) return { ...base, status: 'error', code: stop.code, reason: `stopped: ${stop.message}` };
  const failed = checks.find((r) => r.status === 'fail');
  if (failed) return { ...base, status: 'fail', code: failed.code ?? 'CHECK_FAILED', reason: `${failed.name}: ${failed.detail ?? 'failed'}` };
  const broke = checks.find((r) => r.status === 'error');
  if (broke) return { ...base, status: 'error', code: broke.code ?? 'INTERNAL', reason: `${broke.name}: ${broke.detail ?? 'broke'}` };
  if (err !== undefined) {
    const b = blame(err, signal);
    return { ...base, status: b.status, code: b.code, reason: b.message };
  }
  return { ...base, status: 'pass' };
}
