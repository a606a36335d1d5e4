// bench/webhook-latency: webhook received → run queued, p95 over 1 000 `!testme` comments (goal
// ≤ 100 ms). On 127.0.0.1 only. cc-ci is wired in this process as `serve` wires it: a RunStore in
// a temp folder, the real Scheduler (capacity 1, with a fake executor whose runs never end until
// the bench stops, so nothing reaches the swarm), the real ForgeBridge with the bot's token and
// createGiteaClient, and buildServer with POST /hook (config from loadConfig with
// CCCI_WEBHOOK_SECRET and CCCI_FORGE_TOKEN). The forge is the stand-in (startForge, seed demo).
//
// - The stand-in runs in a child process by default (this file, started again): its GET of a
//   pull and its status POST spawn git, and a spawn blocks the event loop of the process that
//   makes it (tens of ms on a busy machine) — in cc-ci's own process that would measure the
//   stand-in, not cc-ci; a real Gitea is not in cc-ci's process either. BENCH_FORGE=in-process
//   runs it in this process (startForge here), for comparison.
// - Every comment is on its own PR (BENCH_COMMENTS PRs, opened at once with createPullRequests),
//   so no run supersedes another: what is measured is enqueue, not supersede. One run (not a
//   forge run) holds the single slot, so every measured run stays queued.
// - The comments are real: one per PR, posted on the stand-in beforehand with a hook to a capture
//   server; the exact bytes and headers it delivered (Gitea's payload and signature) are replayed
//   to /hook. During a pass the stand-in also has a hook on /hook, so the bot's own replies come back
//   as webhooks, as with a real Gitea.
// - The clock starts when the request is sent and stops when the scheduler says the run is in
//   the store as queued (onChange, emitted right after the insert).
// - Passes (each with a fresh stand-in and a fresh cc-ci): one at a steady pace per rate of
//   BENCH_RATES (comments/s, default "20,2": the asked 20/s, and 2/s, under what the stand-in's
//   GET of a pull sustains on a small machine; each
//   such GET spawns git twice in the stand-in); then 10 senders at
//   once, each sending its next comment as soon as its previous one's run is queued. A comment the bridge does
//   not queue (e.g. `retry`: the forge did not answer within 5 tries of 10 s; the poller, off
//   here, would read it again) counts as lost, with its outcome printed.
// Also printed: where the time goes (receive → bridge → org membership → getPull → enqueue), the
// forge calls the replies made meanwhile, the event-loop delay and the machine's load.
import { execFileSync, fork } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { knownRecipes } from '../src/config/enrolled.js';
import { loadConfig } from '../src/config/load-config.js';
import type { Execution, ExecutionEnd, Executor } from '../src/executors/executor.js';
import { createGiteaClient } from '../src/forge/gitea/client.js';
import { giteaWebhooks } from '../src/forge/gitea/webhook.js';
import { createLogger } from '../src/log/create-logger.js';
import { Scheduler } from '../src/queue/scheduler.js';
import { RunStore } from '../src/queue/store.js';
import { SecretRegistry } from '../src/secrets/secret-registry.js';
import { buildServer } from '../src/server/app.js';
import { createMetrics } from '../src/server/metrics.js';
import { ForgeBridge, type BridgeDeps } from '../src/trigger/bridge.js';
import { startForge, type Forge } from '../testbed/forge/main.js';
import { knob, smoke } from './smoke.js';

const GOAL_MS = 100;
// Smoke mode (bench/smoke.ts): 20 comments, one steady pass at 20/s and the concurrent pass.
const COMMENTS = knob('BENCH_COMMENTS', 1_000, 20);
const RATES = (process.env.BENCH_RATES ?? (smoke ? '20' : '20,2'))
  .split(',')
  .map(Number)
  .filter((r) => r > 0);
const SENDERS = 10;
const WAIT_MS = 300_000; // a comment whose run is not queued by then is lost
const REPO = 'coop-cloud/custom-html';
const SECRET = 'bench-webhook-secret-0123456789';
const CHILD_ENV = 'CCCI_BENCH_WEBHOOK_FORGE';

interface Captured {
  commentId: number;
  pr: number;
  headers: Record<string, string>;
  body: string;
}

/** Per measured comment (performance.now() ms). */
interface Times {
  outcome?: string;
  sent?: number;
  acked?: number;
  status?: number;
  handle?: number;
  memberStart?: number;
  memberEnd?: number;
  pullEnd?: number;
  queued?: number;
  runs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

// ---- the forge, the PRs and the captured deliveries ----------------------------------------

interface Prepared {
  url: string;
  tokens: Record<string, string>;
  captured: Captured[];
  payloadBytes: number;
  setupMs: number;
}

/** COMMENTS PRs, and a real `!testme` comment on each whose delivery is captured. */
async function prepare(forge: Forge): Promise<Prepared> {
  const started = performance.now();
  const capture = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => capture.listen(0, '127.0.0.1', r));
  try {
    // COMMENTS branches at pr-1's commit in one ref transaction, then one PR each, at once.
    const repoDir = (await forge.control.handle(REPO)).dir;
    const tip = execFileSync('git', ['-C', repoDir, 'rev-parse', 'refs/heads/pr-1'], { encoding: 'utf8' }).trim();
    const branch = (i: number) => `bench-${String(i).padStart(4, '0')}`;
    execFileSync('git', ['-C', repoDir, 'update-ref', '--stdin'], {
      input: Array.from({ length: COMMENTS }, (_, i) => `create refs/heads/${branch(i)} ${tip}\n`).join(''),
    });
    const prs = await forge.control.createPullRequests({
      repo: REPO,
      author: 'maintainer',
      pulls: Array.from({ length: COMMENTS }, (_, i) => ({ head: branch(i), title: `bench PR ${i}` })),
    });
    // As git gc leaves a real forge's repositories: thousands of loose refs would make the stand-in's every
    // `git for-each-ref` (each GET of a pull) read thousands of files.
    execFileSync('git', ['-C', repoDir, 'pack-refs', '--all']);
    forge.control.setCollaborator(REPO, 'maintainer', 'admin'); // to delete hooks through the API
    const hook = forge.control.createHook(REPO, {
      type: 'gitea',
      config: {
        url: `http://127.0.0.1:${(capture.address() as AddressInfo).port}/`,
        content_type: 'json',
        secret: SECRET,
      },
      events: ['pull_request_comment'],
      active: true,
    });
    for (const pr of prs) forge.control.comment({ repo: REPO, index: pr, author: 'maintainer', body: '!testme' });
    const delivered = (await forge.control.flushDeliveries()).filter((d) => d.hookId === hook.id && d.ok);
    await deleteHook(forge.url, forge.control.tokens().maintainer!, hook.id!);
    const captured = delivered.map((d): Captured => {
      const p = JSON.parse(d.body) as { comment: { id: number }; issue: { number: number } };
      return { commentId: p.comment.id, pr: p.issue.number, headers: d.requestHeaders, body: d.body };
    });
    if (captured.length !== COMMENTS) throw new Error(`captured ${captured.length} deliveries, expected ${COMMENTS}`);
    return {
      url: forge.url,
      tokens: forge.control.tokens(),
      captured,
      payloadBytes: Buffer.byteLength(captured[0]!.body),
      setupMs: performance.now() - started,
    };
  } finally {
    await new Promise<void>((r) => capture.close(() => r()));
  }
}

async function deleteHook(forgeUrl: string, token: string, id: number): Promise<void> {
  const res = await fetch(`${forgeUrl}/api/v1/repos/${REPO}/hooks/${id}`, {
    method: 'DELETE',
    headers: { authorization: `token ${token}` },
  });
  if (res.status !== 204) throw new Error(`deleting hook ${id} answered ${res.status}`);
}

/** What a pass needs of the forge, wherever it runs. */
interface ForgeSide extends Prepared {
  where: string;
  createHook(url: string): Promise<number>;
  flushDeliveries(): Promise<void>;
  close(): Promise<void>;
}

const hookSpec = (url: string) => ({
  type: 'gitea',
  config: { url, content_type: 'json', secret: SECRET },
  events: ['pull_request_comment'],
  active: true,
});

async function inProcessForge(): Promise<ForgeSide> {
  const forge = await startForge({ seed: 'demo' });
  return {
    ...(await prepare(forge)),
    where: 'stand-in forge in this process',
    createHook: async (url) => forge.control.createHook(REPO, hookSpec(url)).id!,
    flushDeliveries: async () => {
      await forge.control.flushDeliveries();
    },
    close: () => forge.close(),
  };
}

/** The stand-in in a child process (this file, CHILD_ENV=1): a real forge is not in cc-ci's process either. */
async function childForge(): Promise<ForgeSide> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const prepared = await new Promise<Prepared>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the forge process exited (${code}) before it was ready`)));
    child.once('message', (m) => resolve(m as Prepared));
  });
  child.removeAllListeners('exit');
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${prepared.url}/_testbed${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} /_testbed${path} answered ${res.status}`);
    return res.json() as Promise<{ id?: number }>;
  };
  return {
    ...prepared,
    where: `stand-in forge in its own process (pid ${child.pid})`,
    createHook: async (url) => (await control('POST', `/repos/${REPO}/hooks`, hookSpec(url))).id!,
    flushDeliveries: async () => {
      await control('POST', '/deliveries/flush');
    },
    close: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

if (process.env[CHILD_ENV] === '1') {
  // The forge process: prepare, hand the captured deliveries over, serve until told to stop.
  // Its own data folder, removed here too: a forge still owing thousands of requests may not close in time.
  const dataDir = mkdtempSync('/tmp/forge-standin-');
  const forge = await startForge({ seed: 'demo', dataDir });
  process.send!(await prepare(forge));
  const exit = () => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  const stop = () => {
    setTimeout(exit, 5_000).unref();
    void forge.close().finally(exit);
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
} else {
  const inProcess = process.env.BENCH_FORGE === 'in-process';
  type Drive = (send: (i: number) => Promise<void>) => Promise<void>;
  const steadyAt =
    (rate: number): Drive =>
    async (send) => {
      const start = performance.now();
      const sends: Promise<void>[] = [];
      for (let i = 0; i < COMMENTS; i++) {
        const wait = start + (i * 1000) / rate - performance.now();
        if (wait > 0) await sleep(wait);
        sends.push(send(i));
      }
      await Promise.all(sends);
    };
  const concurrent: Drive = async (send) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < COMMENTS) await send(next++);
      }),
    );
  };
  const passes: Array<[string, Drive]> = [
    ...RATES.map((r): [string, Drive] => [`steady ${r}/s`, steadyAt(r)]),
    [`${SENDERS} concurrent senders`, concurrent],
  ];
  const work = mkdtempSync('/tmp/cc-ci-bench-webhook-');
  let ok = true;
  try {
    for (const [name, drive] of passes) {
      // A fresh stand-in per pass: requests a saturated forge still owes must not slow the next pass.
      const forge = inProcess ? await inProcessForge() : await childForge();
      try {
        console.log(
          `${name} — setup: ${forge.where}; ${COMMENTS} PRs, ` +
            `a real comment on each, deliveries captured (${forge.payloadBytes} B each) ` +
            `in ${(forge.setupMs / 1000).toFixed(1)} s; ` +
            `${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`,
        );
        ok = (await runPass(forge, work, name, drive)) && ok;
      } finally {
        await forge.close();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!ok) process.exitCode = 1;
}

/**
 * One pass on a fresh cc-ci; `drive(send)` sends comment i with send(i), which resolves when its
 * run is queued (or lost).
 */
async function runPass(
  forge: ForgeSide,
  work: string,
  name: string,
  drive: (send: (i: number) => Promise<void>) => Promise<void>,
): Promise<boolean> {
  const comments = forge.captured;
  const dir = mkdtempSync(join(work, 'pass-'));
  mkdirSync(join(dir, 'recipes'), { recursive: true });
  mkdirSync(join(dir, 'abra', 'servers', 'ci.example.org'), { recursive: true });
  const configFile = join(dir, 'cc-ci.yml');
  writeFileSync(
    configFile,
    [
      // The captured deliveries are replayed minutes after their comments were written: not stale here.
      `forge: {type: gitea, url: ${JSON.stringify(forge.url)}, ` +
        `org: coop-cloud, repos: [${JSON.stringify(REPO)}], pollInterval: 1h, webhookMaxAge: 1h}`,
      `swarm: {server: ci.example.org, domain: ci.example.org, abraDir: ${JSON.stringify(join(dir, 'abra'))}}`,
      'runner: {capacity: 1}',
      `store: ${JSON.stringify(join(dir, 'store'))}`,
      `recipesDir: ${JSON.stringify(join(dir, 'recipes'))}`,
      'dashboard: {listen: "127.0.0.1:0", publicUrl: "http://127.0.0.1:8080"}',
      '',
    ].join('\n'),
  );
  const secrets = new SecretRegistry();
  const config = loadConfig({
    path: configFile,
    env: { CCCI_WEBHOOK_SECRET: SECRET, CCCI_FORGE_TOKEN: forge.tokens['cc-ci-bot']! },
    secrets,
  });
  // JSON lines to a file (serve prints them pretty to stderr).
  const logger = createLogger({ secrets, file: join(dir, 'serve.log'), console: false });
  const log = logger.log;
  const store = new RunStore(join(config.store, 'cc-ci.db'));

  // Runs that never end until they are signalled (at the very end).
  const live: Array<() => void> = [];
  let pid = 4_000_000;
  const executor: Executor = {
    start(): Execution {
      let end: (e: ExecutionEnd) => void = () => undefined;
      const ended = new Promise<ExecutionEnd>((r) => {
        end = r;
      });
      live.push(() => end({ code: null, signal: 'SIGTERM' }));
      return {
        pid: ++pid,
        ended,
        onEvent: () => () => undefined,
        stop: () => end({ code: null, signal: 'SIGTERM' }),
        kill: () => end({ code: null, signal: 'SIGKILL' }),
      };
    },
    reattach: () => {
      throw new Error('the bench never restarts a server');
    },
  };
  const scheduler = new Scheduler({
    store,
    config,
    log,
    executor,
    reap: async () => undefined,
    teardownBudgetMs: config.runner.teardownBudget,
  });

  const times = new Map<number, Times>(comments.map((c) => [c.commentId, { runs: 0 }]));
  const waiters = new Map<number, () => void>();
  let superseded = 0;
  // Registered first, so nothing else runs between the insert and the clock stopping.
  scheduler.onChange(({ run, event }) => {
    if (event) return;
    if (run.state === 'superseded') superseded++;
    const id = run.trigger.commentId;
    if (run.state !== 'queued' || run.trigger.kind !== 'forge' || id === undefined) return;
    const t = times.get(id);
    if (!t) return;
    t.runs++;
    t.queued ??= performance.now();
    waiters.get(id)?.();
  });
  // The one slot is taken, so every forge run stays queued.
  scheduler.enqueue({
    recipe: 'slot-holder',
    repo: 'https://git.example.org/x/slot-holder.git',
    ref: 'main',
    stages: [],
    keep: false,
    trigger: { kind: 'api' },
  });

  // The forge client, timed per comment (the comment being handled travels in async context).
  const current = new AsyncLocalStorage<number>();
  const client = createGiteaClient({
    url: config.forge!.url,
    token: config.secrets.forgeToken!,
    log: (line) => log.warn({ src: 'forge' }, line),
  });
  const background = { createComment: [] as number[], editComment: [] as number[], setStatus: [] as number[] };
  const timedBg =
    <A extends unknown[], R>(name: keyof typeof background, f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await f(...a);
      } finally {
        background[name].push(performance.now() - t0);
      }
    };
  const forgeForBridge: BridgeDeps['forge'] = {
    whoAmI: () => client.whoAmI(),
    cloneUrl: (r) => client.cloneUrl(r),
    isOrgMember: async (org, user) => {
      const t = times.get(current.getStore() ?? -1);
      if (t) t.memberStart = performance.now();
      try {
        return await client.isOrgMember(org, user);
      } finally {
        if (t) t.memberEnd = performance.now();
      }
    },
    getPull: async (repo, n) => {
      const t = times.get(current.getStore() ?? -1);
      try {
        return await client.getPull(repo, n);
      } finally {
        if (t) t.pullEnd = performance.now();
      }
    },
    // The PR's push events are read right after the PR: their time counts with getPull's.
    listPrPushes: async (repo, n, o) => {
      const t = times.get(current.getStore() ?? -1);
      try {
        return await client.listPrPushes(repo, n, o);
      } finally {
        if (t) t.pullEnd = performance.now();
      }
    },
    createComment: timedBg('createComment', (r: string, n: number, b: string) => client.createComment(r, n, b)),
    editComment: timedBg('editComment', (r: string, id: number, b: string) => client.editComment(r, id, b)),
    setStatus: timedBg('setStatus', (r: string, sha: string, s: Parameters<typeof client.setStatus>[2]) =>
      client.setStatus(r, sha, s),
    ),
  };
  const bridge = new ForgeBridge({ config, store, runs: scheduler, forge: forgeForBridge, log });
  const hookBridge = {
    handle: (c: Parameters<ForgeBridge['handle']>[0]) => {
      const t = times.get(c.commentId);
      if (t) t.handle = performance.now();
      const handled = current.run(c.commentId, () => bridge.handle(c));
      // A comment the bridge did not queue is over: its run will not come.
      if (t)
        void handled.then((outcome) => {
          t.outcome = outcome;
          if (outcome !== 'queued') waiters.get(c.commentId)?.();
        });
      return handled;
    },
  };
  const metrics = createMetrics({ store, runs: scheduler });
  const app = await buildServer({
    config,
    store,
    runs: scheduler,
    secrets,
    log,
    metrics,
    recipes: () => knownRecipes(config),
    bridge: hookBridge,
    webhooks: giteaWebhooks,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  // As with a real Gitea, the bot's own replies come back through the webhook.
  const echoHook = await forge.createHook(`http://127.0.0.1:${port}/hook`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const send = (i: number): Promise<void> => {
    const c = comments[i]!;
    const t = times.get(c.commentId)!;
    const queued = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        waiters.delete(c.commentId);
        resolve();
      }, WAIT_MS);
      waiters.set(c.commentId, () => {
        clearTimeout(timer);
        waiters.delete(c.commentId);
        resolve();
      });
    });
    const answered = new Promise<void>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/hook',
          method: 'POST',
          agent,
          headers: { ...c.headers, 'Content-Length': String(Buffer.byteLength(c.body)), 'Accept-Encoding': 'gzip' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            t.acked = performance.now();
            t.status = res.statusCode;
            resolve();
          });
        },
      );
      req.on('error', () => {
        t.status = -1;
        resolve();
      });
      t.sent = performance.now();
      req.end(c.body);
    });
    return Promise.all([queued, answered]).then(() => undefined);
  };

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const started = performance.now();
  await drive(send);
  const elapsed = performance.now() - started;
  loop.disable();

  // Background work the comments caused (reply comments, statuses, the echoed webhooks) ends first.
  await sleep(500);
  await forge.flushDeliveries();
  await bridge.settled();
  await deleteHook(forge.url, forge.tokens.maintainer!, echoHook);

  // What the store says: one queued run per comment, none lost, none doubled, none superseded.
  const runsInStore = new Map<number, number>();
  for (const r of store.inState('queued')) {
    const id = r.trigger.commentId;
    if (r.trigger.kind === 'forge' && id !== undefined && times.has(id))
      runsInStore.set(id, (runsInStore.get(id) ?? 0) + 1);
  }
  const all = [...times.values()];
  const latency = all.flatMap((t) => (t.queued !== undefined && t.sent !== undefined ? [t.queued - t.sent] : []));
  const lost = comments.filter((c) => !runsInStore.has(c.commentId)).length;
  const doubled = comments.filter(
    (c) => Math.max(runsInStore.get(c.commentId) ?? 0, times.get(c.commentId)!.runs) > 1,
  ).length;
  const queuedRuns = [...runsInStore.values()].reduce((a, b) => a + b, 0);
  const not202 = all.filter((t) => t.status !== 202).length;
  const tally = new Map<string, number>();
  for (const t of all)
    if (t.outcome !== 'queued')
      tally.set(t.outcome ?? 'never handled', (tally.get(t.outcome ?? 'never handled') ?? 0) + 1);
  const outcomes = [...tally].map(([k, n]) => `${n} ${k}`).join(', ');
  const p95 = pct(latency, 0.95);
  const met = p95 <= GOAL_MS;
  console.log(
    `${name}: webhook → run queued p50 ${ms(pct(latency, 0.5))}, p95 ${ms(p95)} ` +
      `(goal ≤ ${GOAL_MS} ms: ${met ? 'met' : 'MISSED'}), ` +
      `max ${ms(Math.max(...latency))}; ` +
      `runs queued ${queuedRuns}/${COMMENTS} (lost ${lost}, doubled ${doubled}, superseded ${superseded}), ` +
      `${not202} answers not 202${outcomes ? ` (not queued: ${outcomes})` : ''}, ` +
      `${(COMMENTS / (elapsed / 1000)).toFixed(1)} comments/s over ${(elapsed / 1000).toFixed(1)} s`,
  );

  // Where the time goes, per comment.
  const seg = (f: (t: Times) => number | undefined) =>
    all.flatMap((t) => {
      const v = f(t);
      return v === undefined || Number.isNaN(v) ? [] : [v];
    });
  const d = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : b - a);
  const parts: Array<[string, number[]]> = [
    ['POST answered 202', seg((t) => d(t.sent, t.acked))],
    ['receive+verify+parse → bridge', seg((t) => d(t.sent, t.handle))],
    ['bridge → membership call', seg((t) => d(t.handle, t.memberStart))],
    ['isOrgMember (forge)', seg((t) => d(t.memberStart, t.memberEnd))],
    ['getPull + pushes (forge)', seg((t) => d(t.memberEnd, t.pullEnd))],
    ['enqueue', seg((t) => d(t.pullEnd, t.queued))],
  ];
  // cc-ci's own share: the whole minus the two forge calls it waits for.
  const own = seg((t) =>
    t.queued === undefined ||
    t.sent === undefined ||
    t.memberStart === undefined ||
    t.memberEnd === undefined ||
    t.pullEnd === undefined
      ? undefined
      : t.queued - t.sent - (t.pullEnd - t.memberStart),
  );
  console.log(
    `  cc-ci's own time (the whole minus isOrgMember and getPull): ` +
      `p50 ${ms(pct(own, 0.5))}, p95 ${ms(pct(own, 0.95))}, max ${ms(Math.max(...own))}`,
  );
  console.log(
    `  where (p50 / p95): ` +
      `${parts.map(([k, v]) => `${k} ${pct(v, 0.5).toFixed(1)} / ${pct(v, 0.95).toFixed(1)}`).join('; ')} ms`,
  );
  console.log(
    `  meanwhile: ${background.createComment.length} reply comments ` +
      `(p95 ${ms(pct(background.createComment, 0.95))}), ` +
      `${background.editComment.length} edits, ` +
      `${background.setStatus.length} statuses (p95 ${ms(pct(background.setStatus, 0.95))}); ` +
      `event-loop delay p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}`,
  );

  bridge.close();
  await app.close();
  agent.destroy();
  const stopping = scheduler.shutdown('bench done');
  for (const end of live) end();
  await stopping;
  store.close();
  await logger.close();
  return lost === 0 && doubled === 0 && superseded === 0 && not202 === 0;
}
