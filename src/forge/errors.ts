// The one place an HTTP outcome becomes a forge error code: network errors, timeouts and 5xx are
// FORGE_UNREACHABLE (and worth a retry), a 4xx (or an answer cc-ci cannot use) is FORGE_REFUSED
// (never retried: asking again gets the same answer). The outcome's words (`describeOutcome`) and
// whether it says the server was not there (`isUnreachable`) serve the Drone client too.
import { STATUS_CODES } from 'node:http';
import { CcciError, errorMessage } from '../model/errors.js';

/** What one HTTP request to an outside server came to, when it was not the answer wanted. */
export type HttpOutcome =
  /** The forge answered with a status the call did not expect. */
  | { kind: 'status'; status: number; message?: string; location?: string }
  /** An expected status whose body is not the JSON the call needs. */
  | { kind: 'bad-body'; status: number; detail: string }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'network'; error: unknown };

export type ForgeOutcome = HttpOutcome;

/** Whether the outcome says the server was not there (no answer, a timeout, a 5xx) rather than that it answered no. */
export function isUnreachable(outcome: HttpOutcome): boolean {
  return (
    outcome.kind === 'timeout' || outcome.kind === 'network' || (outcome.kind === 'status' && outcome.status >= 500)
  );
}

export interface ForgeCall {
  method: string;
  /** Path (and query) under the forge URL; never carries the token. */
  path: string;
  /** The forge URL as configured (without credentials). */
  forgeUrl: string;
  /** Tries made so far, this one included. */
  tries: number;
  /** Masks the token, should anything ever echo it. */
  redact: (text: string) => string;
}

export interface ForgeVerdict {
  retry: boolean;
  error: CcciError;
}

export function judgeOutcome(outcome: ForgeOutcome, call: ForgeCall): ForgeVerdict {
  const where = `${call.method} ${call.path}`;
  const what = describeOutcome(outcome);
  const retry = isUnreachable(outcome);
  const message = retry
    ? `${where}: ${what}; the forge at ${call.forgeUrl} ` +
      `did not answer after ${call.tries} ${call.tries === 1 ? 'try' : 'tries'}`
    : `${where}: the forge at ${call.forgeUrl} ${what}${hintFor(outcome)}`;
  const cause = outcome.kind === 'network' ? outcome.error : undefined;
  return {
    retry,
    error: new CcciError(retry ? 'FORGE_UNREACHABLE' : 'FORGE_REFUSED', call.redact(message), { cause }),
  };
}

/** A short account of what happened, for messages and retry log lines. */
export function describeOutcome(outcome: HttpOutcome): string {
  switch (outcome.kind) {
    case 'timeout':
      return `no answer within ${formatMs(outcome.afterMs)}`;
    case 'network':
      return `connection failed (${networkReason(outcome.error)})`;
    case 'bad-body':
      return `answered ${statusLine(outcome.status)} with a body that is not the expected JSON (${outcome.detail})`;
    case 'status': {
      if (outcome.status >= 500) return `answered ${statusLine(outcome.status)}`;
      const said = outcome.message ? `: ${JSON.stringify(outcome.message)}` : '';
      const to = outcome.location ? ` to ${outcome.location}` : '';
      return outcome.status >= 300 && outcome.status < 400
        ? `answered ${statusLine(outcome.status)} (a redirect${to})`
        : `refused with ${statusLine(outcome.status)}${said}`;
    }
  }
}

function hintFor(outcome: ForgeOutcome): string {
  if (outcome.kind === 'bad-body') return ' — is forge.url the forge’s base URL?';
  if (outcome.kind !== 'status') return '';
  const { status } = outcome;
  if (status === 401) return ' — the token is wrong or revoked: check forge.tokenFile (or CCCI_FORGE_TOKEN)';
  if (status === 403)
    return (
      ' — the bot account lacks rights on the repository ' +
      '(commenting needs read, statuses and editing others’ comments need write)'
    );
  if (status === 404)
    return ' — no such repository, pull request, comment or user, or a private one the bot account cannot see';
  if (status >= 300 && status < 400) return ' — is forge.url the forge’s own address (scheme, host and sub-path)?';
  return '';
}

function statusLine(status: number): string {
  const text = STATUS_CODES[status];
  return text ? `${status} ${text}` : String(status);
}

function networkReason(error: unknown): string {
  // node:http's errors carry their code (ECONNREFUSED, ENOTFOUND, …); undici's "fetch failed"
  // hides it in `cause`, with a TLS error's.
  const own = (error as { code?: unknown } | undefined)?.code;
  if (typeof own === 'string') return own;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return errorMessage(cause ?? error);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
