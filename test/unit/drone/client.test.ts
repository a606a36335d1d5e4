// The Drone client against the stand-in Drone (testbed/drone) over real HTTP on 127.0.0.1, and
// against a bare server where the exact request on the wire matters.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDroneClient, type DroneClientOptions } from '../../../src/drone/client.js';
import { CcciError } from '../../../src/model/errors.js';
import { startDrone, type Drone } from '../../../testbed/drone/main.js';

const REPO = 'ops/cc-ci-runner';
let drone: Drone;
let dir: string;

// A step that waits for a file the test writes, so a build can be caught running.
const pipeline = (step: string) =>
  ['kind: pipeline', 'type: exec', 'name: cc-ci', 'clone: {disable: true}', 'trigger: {event: [custom]}', 'steps:']
    .concat(['- name: run', '  commands:', `  - ${JSON.stringify(step)}`])
    .join('\n');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drone-client-'));
  writeFileSync(
    join(dir, '.drone.yml'),
    pipeline('echo "run $CCCI_RUN_ID"; while [ ! -e "$GO_FILE" ]; do sleep 0.05; done'),
  );
  drone = await startDrone({ pollMs: 20 });
  drone.control.addRepo(REPO, dir);
  drone.control.addRunner({ name: 'runner-1', capacity: 4 });
});

afterAll(async () => {
  await drone?.close();
  rmSync(dir, { recursive: true, force: true });
});

const fast: Partial<DroneClientOptions> = { backoffBaseMs: 5, backoffCapMs: 20 };
const client = (more: Partial<DroneClientOptions> = {}) =>
  createDroneClient({ url: drone.url, token: drone.token, repo: REPO, ...fast, ...more });

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function caught(promise: Promise<unknown>): Promise<CcciError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CcciError);
  return err as CcciError;
}

describe('the Drone client', () => {
  it('sends the parameters in the query with an empty body: no Content-Type, Content-Length 0, Bearer', async () => {
    const seen: { method?: string; url?: string; headers?: IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ number: 41, status: 'pending' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const c = createDroneClient({ url, token: 'tok-123', repo: REPO });
      const params = { CCCI_RUN_ID: 'r-1', CCCI_REF: 'refs/pull/7/head', CCCI_STAGES: 'install,upgrade' };
      expect(await c.start({ params, branch: 'main' })).toBe(41);
      const [req] = seen;
      expect(req?.method).toBe('POST');
      expect(req?.body).toBe('');
      expect(req?.headers?.['content-length']).toBe('0');
      expect(req?.headers?.['content-type']).toBeUndefined();
      expect(req?.headers?.['transfer-encoding']).toBeUndefined();
      expect(req?.headers?.authorization).toBe('Bearer tok-123');
      const target = new URL(req?.url ?? '', url);
      expect(target.pathname).toBe(`/api/repos/${REPO}/builds`);
      expect(Object.fromEntries(target.searchParams)).toEqual({ branch: 'main', ...params });
      expect(target.searchParams.has('access_token')).toBe(false);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('starts a build whose parameters reach its step; gets it with its stage and machine; reads its log', async () => {
    const c = client();
    const go = join(dir, 'go-1');
    const number = await c.start({ params: { CCCI_RUN_ID: 'run-a b&c=d', GO_FILE: go } });
    const running = await until(
      () => c.get(number),
      (b) => b?.status === 'running',
    );
    expect(running?.params).toMatchObject({ CCCI_RUN_ID: 'run-a b&c=d' });
    expect(running?.event).toBe('custom');
    expect(running?.stages[0]).toMatchObject({ number: 1, name: 'cc-ci', status: 'running', machine: 'runner-1' });
    // Drone stores a step's log when the step ends: 404 until then.
    expect(await c.logs(number, 1, 1)).toBeUndefined();
    writeFileSync(go, '');
    const done = await until(
      () => c.get(number),
      (b) => b?.status === 'success',
    );
    expect(done?.stages[0]?.steps[0]).toMatchObject({ name: 'run', status: 'success', exit_code: 0 });
    const lines = await c.logs(number, 1, 1);
    expect(lines?.map((l) => l.out)).toContain('run run-a b&c=d\n');
    expect(await c.get(9999)).toBeUndefined();
  });

  it('a client that sends a body loses its parameters on the stand-in, as on a newer Drone', async () => {
    const res = await fetch(`${drone.url}/api/repos/${REPO}/builds?CCCI_RUN_ID=lost&GO_FILE=/nonexistent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${drone.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'CCCI_RUN_ID=lost',
    });
    expect(res.status).toBe(200);
    const build = (await res.json()) as { number: number; params?: Record<string, string> };
    expect(build.params).toBeUndefined();
    // Without a body every query value is a parameter, branch included (the newer create.go).
    const c = client();
    const number = await c.start({ params: { CCCI_RUN_ID: 'kept', GO_FILE: join(dir, 'go-x') }, branch: 'main' });
    expect((await c.get(number))?.params).toMatchObject({ CCCI_RUN_ID: 'kept', branch: 'main' });
    await c.cancel(number);
    await c.cancel(build.number);
  });

  it('cancels a running build: killed', async () => {
    const c = client();
    const number = await c.start({ params: { GO_FILE: join(dir, 'never') } });
    await until(
      () => c.get(number),
      (b) => b?.status === 'running',
    );
    await c.cancel(number);
    const build = await c.get(number);
    expect(build?.status).toBe('killed');
    expect(build?.stages[0]?.status).toBe('killed');
  });

  it('a Drone answering 500: reads and cancels retried then DRONE_UNREACHABLE; a start never retried', async () => {
    const lines: string[] = [];
    const c = client({ retries: 2, log: (l) => lines.push(l) });
    drone.control.fault({ mode: '500', forMs: 60_000 });
    try {
      const read = await caught(c.get(1));
      expect(read.code).toBe('DRONE_UNREACHABLE');
      expect(read.message).toMatch(
        /GET \/api\/repos\/ops\/cc-ci-runner\/builds\/1: answered 500 Internal Server Error/,
      );
      expect(read.message).toMatch(/the Drone server at http:\/\/127\.0\.0\.1:\d+ did not answer after 3 tries/);
      expect(lines.filter((l) => l.includes('GET'))).toHaveLength(2);
      expect((await caught(c.cancel(1))).code).toBe('DRONE_UNREACHABLE');
      lines.length = 0;
      const start = await caught(c.start({ params: { CCCI_RUN_ID: 'x' } }));
      expect(start.code).toBe('DRONE_UNREACHABLE');
      expect(start.message).toMatch(/Not retried, since a repeated request could start a second build/);
      expect(lines).toEqual([]);
    } finally {
      drone.control.clearFault();
    }
  });

  it('a Drone that hangs: each try ends at the time limit, then DRONE_UNREACHABLE', async () => {
    const c = client({ retries: 1, timeoutMs: 200 });
    drone.control.fault({ mode: 'hang', forMs: 60_000 });
    try {
      const started = Date.now();
      const err = await caught(c.get(1));
      expect(err.code).toBe('DRONE_UNREACHABLE');
      expect(err.message).toMatch(/no answer within 200 ms; .* did not answer after 2 tries/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      drone.control.clearFault();
    }
  });

  it('refused: a wrong token (401, naming its setting, never the token), an unknown repository (404)', async () => {
    const wrong = await caught(client({ token: 'not-the-token' }).get(1));
    expect(wrong.code).toBe('DRONE_REFUSED');
    expect(wrong.message).toMatch(/refused with 401 Unauthorized: "Unauthorized" — the token is wrong or revoked/);
    expect(wrong.message).toMatch(/runner\.drone\.tokenFile/);
    expect(wrong.message).not.toContain('not-the-token');
    const unknown = await caught(client({ repo: 'ops/nope' }).start({ params: { A: 'b' } }));
    expect(unknown.code).toBe('DRONE_REFUSED');
    expect(unknown.message).toMatch(/404 Not Found.*check runner\.drone\.repo/);
    // The query-string token works too (§D.1): the stand-in accepts it.
    const viaQuery = await fetch(`${drone.url}/api/user?access_token=${drone.token}`);
    expect(viaQuery.status).toBe(200);
  });

  it('no pipeline for a custom event: Drone makes no build, and the error says what to put in .drone.yml', async () => {
    const other = mkdtempSync(join(tmpdir(), 'drone-client-push-'));
    writeFileSync(join(other, '.drone.yml'), 'kind: pipeline\ntype: exec\ntrigger: {event: [push]}\nsteps: []\n');
    drone.control.addRepo('ops/push-only', other);
    const err = await caught(client({ repo: 'ops/push-only' }).start({ params: {} }));
    expect(err.code).toBe('DRONE_REFUSED');
    expect(err.message).toMatch(/made no build: .*cc-ci drone pipeline/);
    rmSync(other, { recursive: true, force: true });
  });

  it('refuses parameters Drone would drop or misread, and a token with whitespace', async () => {
    await expect(client().start({ params: { access_token: 'x' } })).rejects.toThrow(
      /cannot be a Drone build parameter/,
    );
    await expect(client().start({ params: { commit: 'x' } })).rejects.toThrow(/cannot be a Drone build parameter/);
    expect(() => client({ token: 'a b' })).toThrow(/whitespace/);
  });
});
