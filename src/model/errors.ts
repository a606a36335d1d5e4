// Typed errors with stable codes (DESIGN §3.6: `results.error` is `{code, message}`), and the
// facts adapters and checks report. CcciError is "cc-ci could not do it" (or bad input), its code
// naming what broke; RecipeFailure is "the recipe failed"; a FactError says what was seen (an
// answer, a state, a value) and nothing about whose fault it is. A CcciError may carry a fact too
// (abra exited: on a deploy that can be the recipe's). Which stage status and code each becomes is
// decided in one place: src/model/blame.ts.

export type ErrorCode =
  | 'USAGE' // bad command-line input: exit 2
  | 'INPUT_INVALID' // hostile or malformed recipe name, ref, repo URL, run id or stage list: exit 2
  | 'CONFIG_INVALID' // cc-ci.yml missing, malformed, or a secret file unreadable: exit 2
  | 'RECIPE_INVALID' // the recipe repository cannot be used as asked (unknown ref, bad spec, no compose.yml): exit 2
  | 'GIT_FAILED' // cloning or fetching the recipe failed: exit 3
  | 'COMMIT_NOT_FOUND' // the commit the run is pinned to is not in the repository (any more): exit 3
  | 'ABRA_FAILED' // abra's own plumbing failed (not the recipe): exit 3
  | 'DOCKER_FAILED' // the Docker Engine API answered with an error or is unreachable: exit 3
  | 'IMAGE_PULL_FAILED' // an image could not be pulled: the registry's rate limit, a login it wants, or no answer
  | 'INGRESS_FAILED' // the ingress could not be reached (refused, reset, TLS), or is plain HTTP where apps want HTTPS
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
  | 'TESTS_NOT_RUN' // the recipe's tests could not run as an unprivileged user, or their runner is missing: not run
  | 'DRONE_UNREACHABLE' // Drone (runner.executor: drone) did not answer, timed out or answered 5xx past the limit
  | 'DRONE_REFUSED' // Drone answered 4xx: a bad token, no access to runner.drone.repo, or a build it does not know
  | 'DRONE_BUILD_LOST' // the run's Drone build ended or vanished without the run's own end (its runner host died)
  | 'INTERNAL'; // a bug in cc-ci: an exception nobody expected

export const errorCodes: readonly ErrorCode[] = [
  'USAGE',
  'INPUT_INVALID',
  'CONFIG_INVALID',
  'RECIPE_INVALID',
  'GIT_FAILED',
  'COMMIT_NOT_FOUND',
  'ABRA_FAILED',
  'DOCKER_FAILED',
  'IMAGE_PULL_FAILED',
  'INGRESS_FAILED',
  'BROWSER_FAILED',
  'STORE_FAILED',
  'FORGE_UNREACHABLE',
  'FORGE_REFUSED',
  'DEADLINE',
  'TEARDOWN_INCOMPLETE',
  'CANCELLED',
  'SUPERSEDED',
  'TIMED_OUT',
  'INTERRUPTED',
  'TESTS_NOT_RUN',
  'DRONE_UNREACHABLE',
  'DRONE_REFUSED',
  'DRONE_BUILD_LOST',
  'INTERNAL',
];

/** The reasons a run is stopped from outside; each keeps its own code in the results. */
export const stopCodes = ['CANCELLED', 'SUPERSEDED', 'TIMED_OUT'] as const;
export type StopCode = (typeof stopCodes)[number];

export class CcciError extends Error {
  readonly code: ErrorCode;
  /** What happened, when the thrower knows more than its code says (blame.ts reads it). */
  readonly fact: Fact | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; fact?: Fact }) {
    super(message, options);
    this.name = 'CcciError';
    this.code = code;
    this.fact = options?.fact;
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
  // the recipe at this ref is unusable (a compose file it names is missing, a service the spec names is absent)
  | 'RECIPE_BROKEN'
  | 'SPEC_INVALID' // the recipe's own spec (tests/cc-ci.yml at the tested commit) does not validate
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

// What happened, as the adapter or check that saw it reports it. Never a verdict: src/model/blame.ts
// maps each fact to `fail` or `error` and a code.

/** How a failed abra call failed, read from abra's own words by src/abra/. */
export type AbraFailureKind =
  | 'exited' // exited non-zero; its error line is quoted
  | 'refused-by-lint' // exited non-zero naming a lint rule (R0xx)
  | 'unknown-flag' // it does not know a flag or command cc-ci passed
  | 'no-terminal' // it wanted a terminal
  | 'docker-unreachable' // it could not reach the Docker daemon
  | 'no-backupbot' // it found no backup bot
  | 'unknown-server' // the abra server is not set up
  | 'repo-locked' // another restic holds the backup repository's lock
  | 'did-not-start' // it could not be started at all
  | 'help-failed' // its --help, asked for the flags it lists, failed
  | 'unexpected-result'; // it finished but left nothing cc-ci can read (no rule table, no .env, no secrets table)

export interface AbraFact {
  source: 'abra';
  kind: AbraFailureKind;
  /** `abra app deploy`, … */
  command?: string;
  /** The lint rule abra named (refused-by-lint). */
  rule?: string;
  /** The call acted on the recipe (deploy, backup, restore): its stage says so. */
  onRecipe?: boolean;
}

/**
 * What an image's registry said when asked about an image a swarm node could not pull (the
 * node's own pull error is not kept by Docker: its task only says "No such image").
 */
export type RegistryAnswer =
  | 'rate-limited' // HTTP 429, toomanyrequests
  | 'unauthorized' // HTTP 401 or 403: unauthorized, denied, a login wanted
  | 'not-found' // HTTP 404: no such tag (manifest unknown) or repository (name unknown)
  | 'unreachable' // no connection, a broken answer, any other error
  | 'no-answer' // nothing within the time limit
  | 'has-it'; // the registry serves the image now: the node's pull failed and its retries too

export type DockerFact =
  /** The stack did not reach its desired state: still waiting at the deadline, an update paused, tasks failing. */
  | { source: 'docker'; what: 'not-converged' | 'update-paused' | 'tasks-failing'; services: string[] }
  /** A service's image could not be pulled onto the node; `registry` is what its registry answered. */
  | { source: 'docker'; what: 'image-not-pulled'; services: string[]; image: string; registry: RegistryAnswer }
  /** No running container of a service: one of the app's stack (named by the spec), or another (the backup bot). */
  | { source: 'docker'; what: 'no-container'; service: string; ofTheApp: boolean }
  /** The Engine could not be reached, answered with an error, or an exec's stream broke. */
  | { source: 'docker'; what: 'unreachable' | 'engine-error' | 'exec-failed' };

export interface HttpFact {
  source: 'http';
  what:
    | 'no-answer' // no answer within the time
    | 'refused'
    | 'reset'
    | 'tls'
    | 'unreachable' // the connection to the ingress failed
    | 'status-mismatch'
    | 'body-mismatch' // an answer, not the one wanted
    | 'unhealthy' // no wanted status before the health deadline; the last try is the error's cause
    | 'redirected-to-https'; // the health path answered with a redirect to an https:// Location
  /** The socket's error code, when the connection failed. */
  errno?: string;
  /** The scheme of swarm.ingress the request went through (for redirected-to-https). */
  ingressScheme?: 'http' | 'https';
}

export interface BrowserFact {
  source: 'browser';
  what:
    | 'did-not-start'
    | 'no-page'
    | 'crashed' // Chromium itself
    | 'load-timeout'
    | 'load-failed' // the page did not load (in time)
    | 'connection-failed' // Chromium's connection to the ingress was refused, reset, or its TLS failed
    | 'error-status'
    | 'text-not-seen'; // the page loaded, not as wanted
  /** Chromium's net::ERR_… code, when the connection failed. */
  net?: string;
}

/** The backup repository is locked by another restic, still after waiting (src/backupbot/). */
export interface BackupRepoFact {
  source: 'backup-repo';
  what: 'locked';
}

export type DataFact =
  | { source: 'data'; what: 'command-failed' | 'marker-mismatch' | 'mutate-had-no-effect' }
  /** The read command failed; `readBefore` when the same read found the marker earlier. The cause is why. */
  | { source: 'data'; what: 'read-failed'; readBefore: boolean };

/** The recipe's files: a compose file it names is missing, or its names are too long for any stack. */
export interface RecipeFact {
  source: 'recipe';
  what: 'compose-file-missing' | 'names-too-long';
}

/** The deployed version is not the one asked for: not the head's commit, or the label did not move on an upgrade. */
export interface VersionFact {
  source: 'version';
  what: 'not-the-head' | 'label-not-moved';
}

export interface CustomCheckFact {
  source: 'custom-check';
  /** The check threw (its own error), ran out of time, or its file did not load. */
  what: 'threw' | 'timed-out' | 'did-not-load';
  /** What Chromium saw, when what the check threw was a page's error; the error's cause says it. */
  page?: BrowserFact;
}

/**
 * The recipe's own tests: a run exited non-zero, or a test case failed; or they could not be run
 * at all: not as an unprivileged user apart from the run folder (`not-isolated`), or the program
 * that runs them is missing on the host (`runner-missing`, e.g. pytest).
 */
export interface RecipeTestsFact {
  source: 'recipe-tests';
  what: 'exited' | 'case-failed' | 'not-isolated' | 'runner-missing';
}

/**
 * A spec that does not validate (or cannot be read as one): the operator's (cc-ci's
 * `recipes/<recipe>/ci.yml`) or the recipe's own (shipped in its repository at the tested commit).
 */
export interface SpecFact {
  source: 'spec';
  what: 'invalid';
  from: 'operator' | 'recipe';
}

/** An error-level lint rule is not satisfied. */
export interface LintFact {
  source: 'lint';
  what: 'rule-unsatisfied';
}

export type Fact =
  | AbraFact
  | DockerFact
  | HttpFact
  | BrowserFact
  | BackupRepoFact
  | DataFact
  | RecipeFact
  | VersionFact
  | CustomCheckFact
  | RecipeTestsFact
  | SpecFact
  | LintFact;

/** What was seen, as an error; whose fault it is, blame.ts decides. */
export class FactError extends Error {
  readonly fact: Fact;
  constructor(fact: Fact, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FactError';
    this.fact = fact;
  }
}

/** The fact an error carries, if any. */
export function factOf(err: unknown): Fact | undefined {
  return err instanceof FactError || err instanceof CcciError ? err.fact : undefined;
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

/**
 * The `{code, message}` of a thrown value outside a stage. A FactError is judged by blame.ts in the
 * stage that caught it (it never leaves one), so here it is INTERNAL like any unexpected value.
 */
export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof CcciError || err instanceof RecipeFailure) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: errorMessage(err) };
}
