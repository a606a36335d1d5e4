// The one owner of "the recipe failed" (`fail`) versus "we could not check" (`error`), DESIGN
// §3.6. Adapters and checks report what happened (a fact: src/model/errors.ts); every stage,
// check and row asks here whose fault it is. Nothing else turns an exception or a fact into a
// status, and nothing else picks the code.
//
// - The run was stopped (cancelled, superseded, timed out): `error`, with the stop's own code,
//   whatever the interrupted check threw on its way out.
// - A fact: the table in `judge`, as a user of Co-op Cloud would see it. What the app did or
//   did not do (no answer in time, a wrong page, a stack that did not converge, an image tag its
//   registry does not have, data lost, abra refusing a recipe action) is `fail`; what stood
//   between cc-ci and the app (Docker, a registry that would not hand over an image, the ingress
//   refusing a connection, Chromium, abra's own plumbing, a locked backup repository) is `error`.
// - A RecipeFailure without a fact: `fail`; a CcciError without one: `error` with its code.
// - Anything else (a bug): `error`, INTERNAL.
import { CcciError, errorMessage, factOf, RecipeFailure, stopCodes } from './errors.js';
import type { AbraFailureKind, ErrorCode, ErrorInfo, Fact, RecipeFailureCode, StopCode } from './errors.js';
import type { CheckRow, StageName, StageResult } from './stage.js';

export interface Blame extends ErrorInfo {
  status: 'fail' | 'error';
}

export function blame(err: unknown, signal?: AbortSignal): Blame {
  const stop = stopInfo(signal);
  if (stop) return { status: 'error', ...stop };
  const fact = factOf(err);
  if (fact) return judge(fact, errorMessage(err), (err as Error).cause);
  if (err instanceof RecipeFailure) return fail(err.code, err.message);
  if (err instanceof CcciError) return broke(err.code, err.message);
  return broke('INTERNAL', errorMessage(err));
}

const fail = (code: RecipeFailureCode, message: string): Blame => ({ status: 'fail', code, message });
const broke = (code: ErrorCode, message: string): Blame => ({ status: 'error', code, message });

/**
 * How abra fails by itself, whatever the recipe: never the recipe's. An abra that could not start,
 * whose --help failed, or that left nothing cc-ci can read is the host's or cc-ci's to fix, as a
 * maintainer would see it. Any other failure of a recipe action is abra refusing the recipe.
 */
const abraPlumbing: readonly AbraFailureKind[] = [
  'unknown-flag',
  'no-terminal',
  'docker-unreachable',
  'no-backupbot',
  'unknown-server',
  'repo-locked',
  'did-not-start',
  'help-failed',
  'unexpected-result',
];

/** The table: what happened → whose fault and which code. `cause` is the error the fact wraps, if any. */
function judge(fact: Fact, message: string, cause: unknown): Blame {
  switch (fact.source) {
    case 'abra': {
      // abra failing what cc-ci asked it to do with the recipe is the recipe's; its own plumbing is not.
      const refused = fact.onRecipe === true && !abraPlumbing.includes(fact.kind);
      if (!refused) return broke('ABRA_FAILED', message);
      const rule = fact.rule ? `abra refused the recipe on lint rule ${fact.rule}: ` : '';
      return fail('ABRA_REFUSED', `${rule}${message}`);
    }
    case 'docker':
      switch (fact.what) {
        case 'not-converged':
        case 'update-paused':
        case 'tasks-failing':
          return fail('NOT_CONVERGED', message);
        // An image the registry does not have is the recipe's to fix; a registry that would not
        // hand it over (rate limit, login, no answer) says nothing about the recipe.
        case 'image-not-pulled':
          return fact.registry === 'not-found' ? fail('RECIPE_BROKEN', message) : broke('IMAGE_PULL_FAILED', message);
        // A service the spec names that has no running container is the recipe's; the bot's is not.
        case 'no-container':
          return fact.ofTheApp ? fail('RECIPE_BROKEN', message) : broke('DOCKER_FAILED', message);
        default:
          return broke('DOCKER_FAILED', message);
      }
    case 'http':
      switch (fact.what) {
        // The ingress answers for a dead backend, so no answer in time is the app's.
        case 'no-answer':
        case 'status-mismatch':
        case 'body-mismatch':
          return fail('CHECK_FAILED', message);
        case 'refused':
        case 'reset':
        case 'tls':
        case 'unreachable':
          return broke('INGRESS_FAILED', message);
        // Over an https:// ingress the app itself sent the redirect: the recipe's. Over an http://
        // one it is what a real traefik does to every plain-HTTP request: the operator's config.
        case 'redirected-to-https':
          return fact.ingressScheme === 'https' ? fail('CHECK_FAILED', message) : broke('INGRESS_FAILED', message);
        case 'unhealthy': {
          // The last try decides: an ingress that could not be reached then is ours to fix.
          const last = cause === undefined ? undefined : blame(cause);
          return last?.status === 'error' ? last : fail('CHECK_FAILED', message);
        }
      }
      break;
    case 'browser':
      switch (fact.what) {
        case 'load-timeout':
        case 'load-failed':
        case 'error-status':
        case 'text-not-seen':
          return fail('CHECK_FAILED', message);
        case 'connection-failed':
          return broke('INGRESS_FAILED', message);
        case 'did-not-start':
        case 'no-page':
        case 'crashed':
          return broke('BROWSER_FAILED', message);
      }
      break;
    case 'backup-repo':
      // Another restic's lock is the repository's state, never the recipe's: the code of the call that met it.
      return broke(cause instanceof CcciError ? cause.code : 'INTERNAL', message);
    case 'data':
      switch (fact.what) {
        case 'command-failed':
        case 'mutate-had-no-effect':
          return fail('DATA_COMMAND_FAILED', message);
        case 'marker-mismatch':
          return fail('DATA_LOST', message);
        case 'read-failed': {
          // A read that worked before and fails now lost the data; infrastructure breaking is not that.
          const inner = blame(cause);
          if (inner.status === 'error') return inner;
          return fail(fact.readBefore ? 'DATA_LOST' : (inner.code as RecipeFailureCode), message);
        }
      }
      break;
    case 'recipe':
      return fail('RECIPE_BROKEN', message);
    case 'version':
      return fail('WRONG_VERSION', message);
    case 'custom-check':
      switch (fact.what) {
        case 'threw': {
          // A check failing on a page that Chromium or the ingress could not deliver did not check anything.
          const page = fact.page && cause !== undefined ? blame(cause) : undefined;
          return page?.status === 'error' ? page : fail('CHECK_FAILED', message);
        }
        case 'timed-out':
          return fail('CHECK_FAILED', message);
        // The operator's check file is broken: the checks could not be made.
        case 'did-not-load':
          return broke('CONFIG_INVALID', message);
      }
      break;
    case 'recipe-tests':
      switch (fact.what) {
        case 'exited':
        case 'case-failed':
          return fail('TESTS_FAILED', message);
        // Tests that could not run safely (or at all) on this host said nothing about the recipe.
        case 'not-isolated':
        case 'runner-missing':
          return broke('TESTS_NOT_RUN', message);
      }
      break;
    case 'lint':
      return fail('LINT_FAILED', message);
    // The recipe's own spec comes with the commit under test: broken, it is the recipe's to fix.
    // The operator's is cc-ci's configuration: the run is refused, as for any bad config.
    case 'spec':
      return fact.from === 'recipe' ? fail('SPEC_INVALID', message) : broke('RECIPE_INVALID', message);
  }
  return broke('INTERNAL', message);
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

/** A check row for a check that saw something wrong without throwing (a page, a lint rule, a test case). */
export function rowFromFact(name: string, fact: Fact, row: Omit<CheckRow, 'name' | 'status' | 'code'> = {}): CheckRow {
  const b = judge(fact, row.detail ?? '', undefined);
  return { name, status: b.status, code: b.code, ...row };
}

/**
 * A stage's result from its rows and the error that ended it, if any. A stage the run was
 * stopped in is `error` (its rows stay as they were); otherwise a failed row is the recipe's
 * `fail`, an errored row or an error is `error`, and no complaint is `pass`.
 */
export function finishStage(
  name: StageName,
  started: number,
  checks: CheckRow[],
  err: unknown,
  signal: AbortSignal | undefined,
): StageResult {
  const base = { name, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, checks };
  const stop = stopInfo(signal);
  if (stop) return { ...base, status: 'error', code: stop.code, reason: `stopped: ${stop.message}` };
  const failed = checks.find((r) => r.status === 'fail');
  if (failed)
    return {
      ...base,
      status: 'fail',
      code: failed.code ?? 'CHECK_FAILED',
      reason: `${failed.name}: ${failed.detail ?? 'failed'}`,
    };
  const broke = checks.find((r) => r.status === 'error');
  if (broke)
    return {
      ...base,
      status: 'error',
      code: broke.code ?? 'INTERNAL',
      reason: `${broke.name}: ${broke.detail ?? 'broke'}`,
    };
  if (err !== undefined) {
    const b = blame(err, signal);
    return { ...base, status: b.status, code: b.code, reason: b.message };
  }
  return { ...base, status: 'pass' };
}

/** A stage the run never reached because it was stopped or broke: not the recipe's, so `error`. */
export function notReached(name: StageName, why: ErrorInfo | undefined): StageResult {
  const reason = `not reached: ${why?.message ?? 'the run ended early'}`;
  return { name, status: 'error', code: why?.code ?? 'INTERNAL', reason, checks: [] };
}

/** A stage refused before it ran, for a reason that is the recipe's (no pinned upgrade base, its own spec invalid). */
export function refusedStage(name: StageName, failure: Error): StageResult {
  const b = blame(failure);
  return { name, status: b.status, code: b.code, reason: b.message, checks: [] };
}
