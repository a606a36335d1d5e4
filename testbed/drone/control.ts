// The stand-in Drone's control surface (not Drone's API), for tests and the demo: in process
// (DroneControl) and over HTTP under /_testbed/ (serveControl). Repositories, their secrets,
// users, exec runners; and faults: the API answering 500 or hanging for a while, a build
// forgotten, a runner killed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../forge/body.js';
import type { Fault, Faults } from '../forge/faults.js';
import { matchPath } from '../forge/path-match.js';
import { send } from './api.js';
import { ExecRunner, type RunnerOptions } from './runner.js';
import type { Store } from './store.js';

export class DroneControl {
  readonly runners = new Map<string, ExecRunner>();

  constructor(
    readonly url: string,
    private readonly store: Store,
    private readonly faults: Faults,
  ) {}

  /** Every user's token by login. */
  tokens(): Record<string, string> {
    return Object.fromEntries(this.store.users.map((u) => [u.login, u.token]));
  }

  addUser(login: string, token?: string): { login: string; token: string } {
    return this.store.addUser(login, token);
  }

  /** A repository whose .drone.yml is read from `dir` at each build's creation. */
  addRepo(slug: string, dir: string, defaultBranch?: string): void {
    this.store.addRepo(slug, dir, defaultBranch);
  }

  setSecret(slug: string, name: string, value: string): void {
    const repo = this.store.repos.get(slug);
    if (!repo) throw new Error(`no repository ${slug}`);
    repo.secrets.set(name, value);
  }

  addRunner(opts: RunnerOptions): ExecRunner {
    if (this.runners.has(opts.name)) throw new Error(`a runner ${opts.name} exists already`);
    if (opts.capacity !== undefined && (!Number.isInteger(opts.capacity) || opts.capacity < 1))
      throw new Error(`capacity must be a whole number ≥ 1, not ${opts.capacity}`);
    const runner = new ExecRunner(this.store, opts);
    this.runners.set(opts.name, runner);
    runner.poll();
    return runner;
  }

  /** The runner's host goes down: its step processes are killed and it reports nothing more. */
  killRunner(name: string): void {
    const runner = this.runners.get(name);
    if (!runner) throw new Error(`no runner ${name}`);
    runner.kill();
  }

  fault(fault: Fault): void {
    this.faults.set(fault);
  }

  clearFault(): void {
    this.faults.clear();
  }

  /** Drone loses the build: GET answers 404 from now on (its process, if any, is left alone). */
  forgetBuild(slug: string, number: number): void {
    if (!this.store.forgetBuild(slug, number)) throw new Error(`no build ${slug}#${number}`);
  }

  state() {
    return {
      url: this.url,
      tokens: this.tokens(),
      repos: [...this.store.repos.keys()],
      runners: [...this.runners.values()].map((r) => ({
        name: r.name,
        capacity: r.capacity,
        busy: r.busy,
        alive: r.alive,
      })),
    };
  }
}

type Json = Record<string, unknown>;
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

export async function serveControl(c: DroneControl, req: IncomingMessage, res: ServerResponse, url: URL) {
  const raw = await readBody(req);
  let body: Json = {};
  try {
    body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Json) : {};
  } catch {
    return send(res, 400, { error: 'the body is not JSON' });
  }
  const method = req.method ?? 'GET';
  const p = url.pathname;
  try {
    let m: Record<string, string> | undefined;
    if (method === 'GET' && p === '/_testbed/state') return send(res, 200, c.state());
    if (method === 'POST' && p === '/_testbed/users')
      return send(res, 201, c.addUser(s(body.login), s(body.token) || undefined));
    if (method === 'POST' && p === '/_testbed/repos') {
      c.addRepo(s(body.slug), s(body.dir), s(body.defaultBranch) || undefined);
      return send(res, 201, {});
    }
    if (method === 'PUT' && (m = matchPath('/_testbed/repos/:owner/:name/secrets/:secret', p))) {
      c.setSecret(`${m.owner}/${m.name}`, m.secret ?? '', s(body.value));
      return send(res, 204, undefined);
    }
    if (method === 'POST' && p === '/_testbed/runners') {
      const env = typeof body.env === 'object' && body.env !== null ? (body.env as Record<string, string>) : {};
      const runner = c.addRunner({
        name: s(body.name),
        capacity: body.capacity === undefined ? undefined : Number(body.capacity),
        env,
      });
      return send(res, 201, { name: runner.name, capacity: runner.capacity });
    }
    if (method === 'POST' && (m = matchPath('/_testbed/runners/:name/kill', p))) {
      c.killRunner(m.name ?? '');
      return send(res, 204, undefined);
    }
    if (method === 'POST' && p === '/_testbed/faults') {
      c.fault({ mode: s(body.mode) as Fault['mode'], forMs: Number(body.forMs) });
      return send(res, 204, undefined);
    }
    if (method === 'DELETE' && p === '/_testbed/faults') {
      c.clearFault();
      return send(res, 204, undefined);
    }
    if (method === 'POST' && (m = matchPath('/_testbed/repos/:owner/:name/builds/:number/forget', p))) {
      c.forgetBuild(`${m.owner}/${m.name}`, Number(m.number));
      return send(res, 204, undefined);
    }
  } catch (err) {
    return send(res, 422, { error: err instanceof Error ? err.message : String(err) });
  }
  return send(res, 404, { error: `no control route ${method} ${p}` });
}
