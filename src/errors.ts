// Typed errors with stable codes. The CLI maps them to exit codes in one place (cli.ts);
// a run maps them to stage status: infrastructure codes are `error`, never the recipe's `fail`.

export type ErrorCode =
  | 'USAGE' // bad command-line input: exit 2
  | 'INPUT_INVALID' // hostile or malformed recipe name, ref, repo URL or stage list: exit 2
  | 'CONFIG_INVALID' // cc-ci.yml missing, malformed, or a secret file unreadable: exit 2
  | 'RECIPE_INVALID' // the recipe repository cannot be used as asked (unknown ref, no compose.yml): exit 2
  | 'GIT_FAILED' // cloning or fetching the recipe failed: exit 3
  | 'ABRA_FAILED' // an abra call exited non-zero: exit 3 unless a stage says it is the recipe's fault
  | 'DOCKER_FAILED' // the Docker Engine API answered with an error or is unreachable: exit 3
  | 'DEADLINE' // a wait ran out of time; the message says what it waited for
  | 'CANCELLED'; // the run was stopped by a signal

export const errorCodes: readonly ErrorCode[] = [
  'USAGE', 'INPUT_INVALID', 'CONFIG_INVALID', 'RECIPE_INVALID', 'GIT_FAILED',
  'ABRA_FAILED', 'DOCKER_FAILED', 'DEADLINE', 'CANCELLED',
];

export class CcciError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CcciError';
    this.code = code;
  }
}

/** Exit code of the CLI for an error that ended a command before a verdict. */
export function exitCodeFor(err: unknown): 2 | 3 {
  if (err instanceof CcciError && ['USAGE', 'INPUT_INVALID', 'CONFIG_INVALID', 'RECIPE_INVALID'].includes(err.code)) return 2;
  return 3;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
