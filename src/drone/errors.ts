// The one place an HTTP outcome with Drone becomes an error code: no answer, a timeout or a 5xx is
// DRONE_UNREACHABLE, a 4xx (or a body cc-ci cannot read) DRONE_REFUSED. Whether it is retried is
// the method's affair: reads and cancels are, a build's creation never (a repeated POST would
// start a second build). The outcome and its words are the forge client's (src/forge/errors.ts).
import { describeOutcome, isUnreachable, type HttpOutcome } from '../forge/errors.js';
import { CcciError } from '../model/errors.js';

export type DroneOutcome = HttpOutcome;

export interface DroneCall {
  method: string;
  /** The path and query, never a token (the token travels in the Authorization header). */
  path: string;
  droneUrl: string;
  tries: number;
  /** False for a build's creation: asking twice may start two builds. */
  mayRetry: boolean;
  redact: (text: string) => string;
}

export interface DroneVerdict {
  retry: boolean;
  error: CcciError;
}

export function judgeDroneOutcome(outcome: DroneOutcome, call: DroneCall): DroneVerdict {
  const where = `${call.method} ${call.path}`;
  const what = describeOutcome(outcome);
  const cause = outcome.kind === 'network' ? outcome.error : undefined;
  if (!isUnreachable(outcome)) {
    const message = `${where}: the Drone server at ${call.droneUrl} ${what}${hintFor(outcome)}`;
    return { retry: false, error: new CcciError('DRONE_REFUSED', call.redact(message), { cause }) };
  }
  const tries = `${call.tries} ${call.tries === 1 ? 'try' : 'tries'}`;
  const message = call.mayRetry
    ? `${where}: ${what}; the Drone server at ${call.droneUrl} did not answer after ${tries}: ` +
      'check that Drone is running and reachable from this host'
    : `${where}: ${what}; the Drone server at ${call.droneUrl} did not answer. Not retried, since a ` +
      'repeated request could start a second build: look at the repository’s builds on Drone before asking again';
  return { retry: call.mayRetry, error: new CcciError('DRONE_UNREACHABLE', call.redact(message), { cause }) };
}

function hintFor(outcome: DroneOutcome): string {
  if (outcome.kind === 'bad-body') return ' — is runner.drone.url the Drone server’s base URL?';
  if (outcome.kind !== 'status') return '';
  const { status } = outcome;
  if (status === 401) return ' — the token is wrong or revoked: check runner.drone.tokenFile (or CCCI_DRONE_TOKEN)';
  if (status === 403) return ' — the token’s Drone user needs write access to the runner repository';
  if (status === 404)
    return ' — no such repository or build: check runner.drone.repo and that the repository is activated in Drone';
  if (status >= 300 && status < 400) return ' — a redirect: is runner.drone.url Drone’s own address (scheme and host)?';
  return '';
}
