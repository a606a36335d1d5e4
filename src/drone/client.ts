// The Drone REST client cc-ci's drone executor uses (interfaces §D): create a `custom` build of
// the runner repository, read a build with its stages, cancel it, read a step's log.
//
// node:http rather than fetch, to say exactly what goes on the wire: a build's parameters travel
// ONLY in the query string, with an empty body (Content-Length: 0, no Content-Type), because a
// newer Drone replaces the query's parameters by the body's when there is one (§D.2, create.go).
// Every request has a time limit covering the whole answer. Reads and cancels are retried on
// no answer or a 5xx with backoff; a build's creation never is: a POST whose answer was lost may
// have started the build, and sending it again would start a second one.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { ZodType } from 'zod';
import { CcciError } from '../model/errors.js';
import { backoffDelay, sleepFor } from '../forge/backoff.js';
import { describeOutcome } from '../forge/errors.js';
import { judgeDroneOutcome, type DroneOutcome } from './errors.js';
import { buildSchema, logLinesSchema, type DroneBuild, type DroneLogLine } from './types.js';

export const DRONE_TIMEOUT_MS = 10_000;
export const DRONE_RETRIES = 4;
/** Larger answers are refused (a step's log is the largest thing asked for). */
const MAX_ANSWER_BYTES = 32 * 2 ** 20;
/** Query keys Drone does not turn into parameters, or that say something else (§D.1, §D.2). */
const reservedParams = ['access_token', 'branch', 'commit'];

export interface DroneClientOptions {
  /** The Drone server, e.g. https://drone.example.org (runner.drone.url). */
  url: string;
  token: string;
  /** owner/name of the runner repository on Drone. */
  repo: string;
  timeoutMs?: number;
  /** Retries of a read or a cancel after the first try. */
  retries?: number;
  /** The backoff's first ceiling and cap (src/forge/backoff.ts); tests shorten them. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Retries and warnings, the token masked. */
  log?: (line: string) => void;
}

export interface StartBuild {
  /** The pipeline parameters: environment variables of the build's steps, visible in Drone. */
  params: Record<string, string>;
  /** The branch of the runner repository (default: the repository's default branch). */
  branch?: string;
}

export interface DroneClient {
  readonly url: string;
  readonly repo: string;
  /** Creates a `custom` build and returns its number. Never retried (see above). */
  start(build: StartBuild): Promise<number>;
  /**
   * The build with its stages; undefined when Drone answers 404: no such build (any more). Drone
   * answers 404 for an unknown repository too, which start() would have met first.
   */
  get(number: number): Promise<DroneBuild | undefined>;
  /** Asks Drone to cancel the build (its runner kills the step). */
  cancel(number: number): Promise<void>;
  /** A step's log lines; undefined while Drone has stored none (404: the step has not finished). */
  logs(number: number, stage: number, step: number): Promise<DroneLogLine[] | undefined>;
}

type Attempt = { ok: true; status: number; text: string } | { ok: false; failure: DroneOutcome };

export function createDroneClient(opts: DroneClientOptions): DroneClient {
  const url = droneUrl(opts.url);
  const token = opts.token.trim();
  if (!token) throw new CcciError('CONFIG_INVALID', 'no Drone token: set runner.drone.tokenFile (or CCCI_DRONE_TOKEN)');
  if (/[\s\p{Cc}]/u.test(token))
    throw new CcciError(
      'CONFIG_INVALID',
      'the Drone token (runner.drone.tokenFile) contains whitespace or control characters',
    );
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(opts.repo))
    throw new CcciError('CONFIG_INVALID', `runner.drone.repo must be owner/name, not ${JSON.stringify(opts.repo)}`);
  const timeoutMs = opts.timeoutMs ?? DRONE_TIMEOUT_MS;
  const retries = opts.retries ?? DRONE_RETRIES;
  const sleep = opts.sleep ?? sleepFor;
  const redact = (text: string) => text.split(token).join('[token]');
  const log = (line: string) => opts.log?.(redact(line));
  const repoPath = `/api/repos/${opts.repo}`;
  const { hostname, protocol } = new URL(url);
  if (protocol === 'http:' && !isLoopback(hostname)) log(`drone: ${url} is plain http: the token travels unencrypted`);

  function attempt(method: string, path: string): Promise<Attempt> {
    const target = new URL(url + path);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'user-agent': 'cc-ci',
    };
    // An explicit empty body: Drone reads the query as the parameters only when there is none.
    if (method === 'POST' || method === 'DELETE') headers['content-length'] = '0';
    const signal = AbortSignal.timeout(timeoutMs);
    const lib = target.protocol === 'https:' ? https : http;
    return new Promise<Attempt>((resolve) => {
      const fail = (error: unknown) =>
        resolve({
          ok: false,
          failure: signal.aborted ? { kind: 'timeout', afterMs: timeoutMs } : { kind: 'network', error },
        });
      const req = lib.request(target, { method, headers, signal }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            res.destroy();
            resolve({
              ok: false,
              failure: { kind: 'bad-body', status: res.statusCode ?? 0, detail: 'larger than 32 MiB' },
            });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ ok: true, status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end();
    });
  }

  /** One call: the answer's status and text, or the typed error once retrying is over. */
  async function call(
    method: string,
    path: string,
    { mayRetry, expect = [] }: { mayRetry: boolean; expect?: number[] },
  ): Promise<{ status: number; text: string }> {
    for (let tries = 1; ; tries++) {
      const result = await attempt(method, path);
      const failure: DroneOutcome | undefined = !result.ok
        ? result.failure
        : (result.status >= 200 && result.status < 300) || expect.includes(result.status)
          ? undefined
          : { kind: 'status', status: result.status, message: droneMessage(result.text) };
      if (!failure && result.ok) return result;
      const outcome = failure as DroneOutcome;
      const verdict = judgeDroneOutcome(outcome, { method, path, droneUrl: url, tries, mayRetry, redact });
      if (!verdict.retry || tries > retries) throw verdict.error;
      const delay = backoffDelay(tries - 1, Math.random, opts.backoffBaseMs, opts.backoffCapMs);
      log(`drone: ${method} ${path}: ${describeOutcome(outcome)}; try ${tries + 1} in ${delay} ms`);
      await sleep(delay);
    }
  }

  function parse<T>(schema: ZodType<T>, answer: { status: number; text: string }, method: string, path: string): T {
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      body = undefined;
    }
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const outcome: DroneOutcome = {
      kind: 'bad-body',
      status: answer.status,
      detail:
        body === undefined ? `${answer.text.length} bytes, not JSON` : (parsed.error.issues[0]?.message ?? 'bad shape'),
    };
    throw judgeDroneOutcome(outcome, { method, path, droneUrl: url, tries: 1, mayRetry: false, redact }).error;
  }

  return {
    url,
    repo: opts.repo,
    async start({ params, branch }: StartBuild): Promise<number> {
      for (const key of Object.keys(params))
        if (reservedParams.includes(key.toLowerCase()) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
          throw new CcciError('INTERNAL', `${JSON.stringify(key)} cannot be a Drone build parameter`);
      const query = new URLSearchParams();
      if (branch) query.set('branch', branch);
      for (const [key, value] of Object.entries(params)) query.set(key, value);
      const path = `${repoPath}/builds?${query.toString()}`;
      const answer = await call('POST', path, { mayRetry: false });
      // Drone's trigger makes no build when no pipeline of the .drone.yml runs on a custom event.
      if (answer.text.trim() === 'null')
        throw new CcciError(
          'DRONE_REFUSED',
          `POST ${path}: the Drone server at ${url} made no build: no pipeline of ${opts.repo}'s .drone.yml ` +
            'runs on a custom event — put the output of `cc-ci drone pipeline` in it (docs/drone.md)',
        );
      return parse(buildSchema, answer, 'POST', path).number;
    },
    async get(number: number): Promise<DroneBuild | undefined> {
      const path = `${repoPath}/builds/${buildNumber(number)}`;
      const answer = await call('GET', path, { mayRetry: true, expect: [404] });
      return answer.status === 404 ? undefined : parse(buildSchema, answer, 'GET', path);
    },
    async cancel(number: number): Promise<void> {
      await call('DELETE', `${repoPath}/builds/${buildNumber(number)}`, { mayRetry: true });
    },
    async logs(number: number, stage: number, step: number): Promise<DroneLogLine[] | undefined> {
      const path = `${repoPath}/builds/${buildNumber(number)}/logs/${buildNumber(stage)}/${buildNumber(step)}`;
      const answer = await call('GET', path, { mayRetry: true, expect: [404] });
      return answer.status === 404 ? undefined : parse(logLinesSchema, answer, 'GET', path);
    },
  };
}

function buildNumber(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new CcciError('INTERNAL', `not a Drone build, stage or step number: ${n}`);
  return n;
}

/** Drone's error body is {"message": "..."} (render.go); anything else is not repeated. */
function droneMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    return typeof body.message === 'string' ? body.message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function droneUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new CcciError('CONFIG_INVALID', `runner.drone.url is not a URL: ${JSON.stringify(raw)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new CcciError('CONFIG_INVALID', `runner.drone.url must be http(s), not ${parsed.protocol}`);
  if (parsed.username || parsed.password || parsed.search || parsed.hash)
    throw new CcciError('CONFIG_INVALID', 'runner.drone.url must be a plain base URL (no user, query or fragment)');
  return parsed.href.replace(/\/+$/, '');
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}
