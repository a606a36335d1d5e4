// The server's limits, on the whole server (buildServer) listening on 127.0.0.1: caps on live
// logs with one tail per run, request timeouts that leave live logs alone, nosniff on every
// answer, the back-off after wrong admin tokens, artifacts that are not regular files, and run
// ids that are not echoed. Clients come from several loopback addresses (127.0.0.0/8).
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/create-logger.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { buildServer, SERVER_TIMEOUTS, type ServerTimeouts } from '../../../src/server/app.js';
import { createMetrics } from '../../../src/server/metrics.js';
import type { ServerDeps } from '../../../src/server/server-deps.js';
import { FakeRunControl } from '../../support/fake-run-control.js';

const TOKEN = 'admin-token-for-the-limits-tests-0123456789';
const root = mkdtempSync(join(tmpdir(), 'cc-ci-limits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface World {
  app: FastifyInstance;
  base: string;
  store: RunStore;
  runs: FakeRunControl;
  artifacts(id: string): string;
}

let world: World | undefined;
afterEach(async () => {
  await world?.app.close();
  world?.store.close();
  world = undefined;
});

async function serve(dashboard = '', timeouts: ServerTimeouts = SERVER_TIMEOUTS): Promise<World> {
  const dir = mkdtempSync(join(root, 'w-'));
  writeFileSync(
    join(dir, 'cc-ci.yml'),
    `swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\ndashboard: {${dashboard}}\n`,
  );
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), env: { CCCI_ADMIN_TOKEN: TOKEN }, secrets });
  const store = new RunStore(':memory:');
  const runs = new FakeRunControl(store, config.store, { cancel: 'record' });
  const deps: ServerDeps = {
    config,
    store,
    runs,
    secrets,
    log: createLogger({ secrets, console: false, level: 'silent' }).log,
    metrics: createMetrics({ store, runs }),
    recipes: () => ['custom-html'],
  };
  const app = await buildServer(deps, timeouts);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const artifacts = (id: string) => {
    const d = runs.runFiles(id).artifacts;
    mkdirSync(d, { recursive: true });
    return d;
  };
  world = { app, base, store, runs, artifacts };
  return world;
}

const request = (): TriggeredRequest => ({
  recipe: 'custom-html',
  repo: 'https://git.example.org/coop-cloud/custom-html.git',
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind: 'api' },
});

const line = (n: number) => JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1), msg: `line ${n}` }) + '\n';

/** A live-log client from a given loopback address, counting the data lines it gets. */
function subscribe(url: string, from: string) {
  const state = { status: 0, lines: [] as string[], ended: false };
  const req = httpRequest(url, { localAddress: from, headers: { accept: 'text/event-stream' } });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      state.status = res.statusCode ?? 0;
      resolve(res);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n')) >= 0) {
          const text = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (text.startsWith('data: ')) state.lines.push(text.slice(6));
        }
      });
      res.on('close', () => (state.ended = true));
    });
    req.on('error', reject);
  });
  req.end();
  return { state, response, close: () => req.destroy() };
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

describe('live logs', () => {
  it('300 connections: 503 past the total, 429 past a client, low CPU, quick routes, every line live', async () => {
    const { base, store, artifacts } = await serve('maxLiveLogs: 200, maxLiveLogsPerClient: 10');
    store.insertRun('r-live', request());
    store.markRunning('r-live', 1);
    const log = join(artifacts('r-live'), 'run.log');
    writeFileSync(log, line(0));
    // 25 addresses × 12: the first 20 addresses fill the 200 slots (10 each); the first 19 are
    // then told 429 twice, and the rest find the server full (503: the total is checked first).
    const clients: Array<ReturnType<typeof subscribe>> = [];
    const statuses = new Map<number, number>();
    for (let a = 0; a < 25; a++) {
      for (let i = 0; i < 12; i++) {
        const c = subscribe(`${base}/runs/r-live/log`, `127.0.0.${a + 2}`);
        clients.push(c);
        const res = await c.response;
        statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
        if (res.statusCode !== 200) {
          expect(res.headers['retry-after']).toBeDefined();
          res.resume();
        }
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 200, 429: 38, 503: 62 });
    const open = clients.filter((c) => c.state.status === 200);
    await until(() => open.every((c) => c.state.lines.length >= 1));

    // A window with 200 streams open while the run writes: the server's CPU time stays low, and
    // each stream gets every line.
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    for (let n = 1; n <= 20; n++) {
      appendFileSync(log, line(n));
      await new Promise((r) => setTimeout(r, 100));
    }
    await until(() => open.every((c) => c.state.lines.length >= 21));
    const [health, healthMs] = await timed(() => fetch(`${base}/healthz`));
    const [page, pageMs] = await timed(() => fetch(`${base}/runs/r-live`));
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallBefore;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(health.status).toBe(200);
    expect(page.status).toBe(200);
    expect(healthMs).toBeLessThan(1000);
    expect(pageMs).toBeLessThan(1000);
    // The test's own 200 clients share this process; the server alone is a fraction of this.
    expect(cpuMs / wallMs, `${cpuMs.toFixed(0)} ms of CPU in ${wallMs.toFixed(0)} ms`).toBeLessThan(0.5);
    for (const c of open)
      expect(c.state.lines).toEqual(Array.from({ length: 21 }, (_, n) => `00:00:00 INFO  line ${n}`));

    // A slot is given back when its client goes away.
    open[0]!.close();
    let again = subscribe(`${base}/runs/r-live/log`, '127.0.0.99');
    for (let tries = 0; (await again.response).statusCode !== 200 && tries < 40; tries++) {
      again.close();
      await new Promise((r) => setTimeout(r, 50));
      again = subscribe(`${base}/runs/r-live/log`, '127.0.0.99');
    }
    expect((await again.response).statusCode).toBe(200);
    for (const c of [...clients, again]) c.close();
  });

  it('a stream that joins late catches up from the start, then follows the same tail', async () => {
    const { base, store, runs, artifacts } = await serve();
    store.insertRun('r-late', request());
    store.markRunning('r-late', 1);
    const log = join(artifacts('r-late'), 'run.log');
    writeFileSync(log, line(0) + line(1));
    const first = subscribe(`${base}/runs/r-late/log`, '127.0.0.2');
    await until(() => first.state.lines.length === 2);
    appendFileSync(log, line(2));
    await until(() => first.state.lines.length === 3);
    const second = subscribe(`${base}/runs/r-late/log`, '127.0.0.3');
    await until(() => second.state.lines.length === 3);
    appendFileSync(log, line(3));
    runs.finish('r-late', { state: 'passed', verdict: 'pass', level: 1 });
    await until(() => first.state.ended && second.state.ended);
    const all = Array.from({ length: 4 }, (_, n) => `00:00:00 INFO  line ${n}`);
    expect(first.state.lines).toEqual([...all, 'passed']);
    expect(second.state.lines).toEqual([...all, 'passed']);
  });

  it("an offset past the end of the log starts at its end, and does not hold up the run's tail", async () => {
    const { base, store, artifacts } = await serve();
    store.insertRun('r-far', request());
    store.markRunning('r-far', 1);
    const log = join(artifacts('r-far'), 'run.log');
    writeFileSync(log, line(0));
    const far = subscribe(`${base}/runs/r-far/log?offset=999999999`, '127.0.0.2');
    expect((await far.response).statusCode).toBe(200);
    const whole = subscribe(`${base}/runs/r-far/log`, '127.0.0.3');
    await until(() => whole.state.lines.length === 1);
    appendFileSync(log, line(1));
    // Through fs.watch, before the 1.5 s poll would have found it.
    await until(() => far.state.lines.length === 1 && whole.state.lines.length === 2, 1200);
    expect(far.state.lines).toEqual(['00:00:00 INFO  line 1']);
    far.close();
    whole.close();
  });
});

describe('timeouts', () => {
  it('closes a request whose body never finishes, and leaves a live log open past the timeout', async () => {
    const { base, store, artifacts } = await serve('', { requestMs: 1000, idleMs: 60_000, checkEveryMs: 200 });
    store.insertRun('r-slow', request());
    store.markRunning('r-slow', 1);
    const log = join(artifacts('r-slow'), 'run.log');
    writeFileSync(log, line(0));
    const sse = subscribe(`${base}/runs/r-slow/log`, '127.0.0.2');

    const port = Number(new URL(base).port);
    const socket = connect(port, '127.0.0.1');
    const closedAfter = new Promise<number>((resolve) => {
      const start = Date.now();
      socket.on('close', () => resolve(Date.now() - start));
      socket.on('error', () => undefined);
    });
    socket.write(
      'POST /runs/r-slow/cancel HTTP/1.1\r\nHost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n' +
        'content-length: 60000\r\n\r\ntoken=',
    );
    const drip = setInterval(() => socket.write('a'), 200);
    const waited = await Promise.race([closedAfter, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]);
    clearInterval(drip);
    socket.destroy();
    expect(waited, 'the slow request was still open after 8 s').toBeGreaterThan(0);
    expect(waited).toBeLessThan(4000);

    // The live log outlived the timeout and still follows the file.
    appendFileSync(log, line(1));
    await until(() => sse.state.lines.length === 2);
    expect(sse.state.ended).toBe(false);
    sse.close();
  });
});

describe('answers', () => {
  it('every answer carries nosniff, a 404 of an unknown route too', async () => {
    const { base } = await serve();
    for (const path of ['/nope/%3Csvg%3E', '/api/runs/%3Csvg%3E', '/runs/%3Csvg%3E/log', '/healthz', '/api/runs']) {
      const res = await fetch(`${base}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('an unknown run id is not echoed, not even masked', async () => {
    const { base } = await serve();
    for (const path of [
      `/api/runs/${TOKEN}`,
      `/runs/${TOKEN}/log`,
      `/runs/${TOKEN}/artifacts/run.log`,
      `/runs/${TOKEN}`,
    ]) {
      const res = await fetch(`${base}${path}`);
      const body = await res.text();
      expect(res.status, path).toBe(404);
      expect(body, path).toMatch(/no such run/i);
      expect(body, path).not.toContain('***');
      expect(body, path).not.toContain(TOKEN);
    }
  });

  it('a FIFO in the artifacts folder answers 404 at once', async () => {
    const { base, store, artifacts } = await serve();
    store.insertRun('r-fifo', request());
    const fifo = join(artifacts('r-fifo'), 'fifo.log');
    execFileSync('mkfifo', [fifo]);
    try {
      const [res, ms] = await timed(() =>
        fetch(`${base}/runs/r-fifo/artifacts/fifo.log`, { signal: AbortSignal.timeout(3000) }),
      );
      expect(res.status).toBe(404);
      expect(ms).toBeLessThan(1000);
    } finally {
      // Release a reader stuck on it, should there be one.
      try {
        execFileSync('sh', ['-c', 'exec 3<>"$1"', 'sh', fifo], { timeout: 2000 });
      } catch {
        /* nobody waiting */
      }
    }
  });
});

describe('wrong admin tokens', () => {
  it('slow an address down after five (API and forms alike); other addresses are not', async () => {
    const { base, store } = await serve();
    store.insertRun('r-admin', request());
    const api = (token: string, from: string) =>
      new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
        const req = httpRequest(`${base}/api/runs/r-admin/cancel`, {
          method: 'POST',
          localAddress: from,
          headers: { authorization: `Bearer ${token}` },
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined });
        });
        req.on('error', reject);
        req.end();
      });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await api(`wrong-${i}`, '127.0.0.2')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const blocked = await api(TOKEN, '127.0.0.2');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
    // Another address is not held up by this one's mistakes.
    expect((await api(TOKEN, '127.0.0.3')).status).toBe(202);
    // The form of the run page counts against the same address.
    const form = await fetch(`${base}/runs/r-admin/cancel`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    expect(form.status).toBe(303);
    for (let i = 0; i < 5; i++) {
      const wrong = await fetch(`${base}/runs/r-admin/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=wrong',
      });
      expect(wrong.status).toBe(401);
    }
    const slowed = await fetch(`${base}/runs/r-admin/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    expect(slowed.status).toBe(429);
    expect(await slowed.text()).toMatch(/Too many wrong admin tokens/);
  });
});
