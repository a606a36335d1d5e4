// Typed errors with stable codes (DESIGN §3.6: `results.error` is `{code, message}`). Two kinds:
// CcciError is "we could not check" (or bad input), RecipeFailure is "the recipe failed". Which
// stage status each becomes is decided in one place: src/model/blame.ts.

export type ErrorCode =
  | 'USAGE' // bad command-line input: exit 2
  | 'INPUT_INVALID' // hostile or malformed recipe name, ref, repo URL, run id or stage list: exit 2
  | 'CONFIG_INVALID' // cc-ci.yml missing, malformed, or a secret file unreadable: exit 2
  | 'RECIPE_INVALID' // the recipe repository cannot be used as asked (unknown ref, bad spec, no compose.yml): exit 2
  | 'GIT_FAILED' // cloning or fetching the recipe failed: exit 3
  | 'ABRA_FAILED' // abra's own plumbing failed (not the recipe): exit 3
  | 'DOCKER_FAILED' // the Docker Engine API answered with an error or is unreachable: exit 3
  | 'INGRESS_FAILED' // the ingress could not be reached at all (refused, reset, TLS): the check could not be made
  | 'BROWSER_FAILED' // Chromium could not start or crashed
  | 'STORE_FAILED' // cc-ci's own store (run dir, leases) could not be written
  | 'FORGE_UNREACHABLE' // the forge did not answer, timed out or kept answering 5xx after retries
  | 'FORGE_REFUSED' // the forge answered 4xx: a bad token, missing rights, or an unknown repository, PR or comment
  | 'DEADLINE' // one of cc-ci's own waits ran out of time; the message says what it waited for
  | 'TEARDOWN_INCOMPLETE' // teardown left something of the run on the swarm
  | 'CANCELLED' // the run was stopped (a signal, or a cancel from the server)
  | 'SUPERSEDED' // the run was stopped because a newer run for the same PR replaced it
  | 'TIMED_OUT' // the run took longer than runner.runTimeout (or the server's backstop)
  | 'INTERRUPTED' // the server stopped or died while the run was going; the run was stopped and torn down
  | 'INTERNAL'; // a bug in cc-ci: an exception nobody expected

export const errorCodes: readonly ErrorCode[] = [
  'USAGE', 'INPUT_INVALID', 'CONFIG_INVALID', 'RECIPE_INVALID', 'GIT_FAILED', 'ABRA_FAILED',
  'DOCKER_FAILED', 'INGRESS_FAILED', 'BROWSER_FAILED', 'STORE_FAILED', 'FORGE_UNREACHABLE', 'FORGE_REFUSED', 'DEADLINE',
  'TEARDOWN_INCOMPLETE', 'CANCELLED', 'SUPERSEDED', 'TIMED_OUT', 'INTERRUPTED', 'INTERNAL',
];

/** The reasons a run is stopped from outside; each keeps its own code in the results. */
export const stopCodes = ['CANCELLED', 'SUPERSEDED', 'TIMED_OUT'] as const;
export type StopCode = (typeof stopCodes)[number];

export class CcciError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CcciError';
    this.code = code;
  }
}

/** What the recipe did wrong; the code says which kind of check it failed. */
export type RecipeFailureCode =
  | 'NOT_CONVERGED' // the stack never reached its desired state
  | 'CHECK_FAILED' // a health, HTTP, browser or custom check saw the wrong thing
  | 'ABRA_REFUSED' // abra refused or failed a recipe action (bad compose, unknown version, a failing hook)
  | 'DATA_LOST' // a data marker did not survive an upgrade or a restore
  | 'DATA_COMMAND_FAILED' // the spec's seed, mutate or read command failed in the app
  | 'WRONG_VERSION' // the deployed version is not the one asked for
  | 'NO_UPGRADE_BASE' // the spec pins an upgrade base the recipe does not have
  | 'RECIPE_BROKEN' // the recipe at this ref is unusable (a compose file it names is missing, a service the spec names is absent)
  | 'TESTS_FAILED' // the recipe's own tests failed
  | 'LINT_FAILED'; // an error-level lint rule is not satisfied

/** Thrown when the recipe, not the infrastructure, made a check fail. */
export class RecipeFailure extends Error {
  readonly code: RecipeFailureCode;
  constructor(code: RecipeFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecipeFailure';
    this.code = code;
  }
}

/** `{code, message}` as results.json, events and the store carry it. */
export interface ErrorInfo {
  code: ErrorCode | RecipeFailureCode;
  message: string;
}

/** Exit code of the CLI for an error that ended a command before a verdict. */
export function exitCodeFor(err: unknown): 2 | 3 {
  return err instanceof CcciError && isRefusal(err.code) ? 2 : 3;
}

/** Bad input: the run is refused (exit 2), nothing is deployed. */
export function isRefusal(code: string): boolean {
  return ['USAGE', 'INPUT_INVALID', 'CONFIG_INVALID', 'RECIPE_INVALID'].includes(code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The `{code, message}` of any thrown value. */
export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof CcciError || err instanceof RecipeFailure) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: errorMessage(err) };
}
