// bench/live-logs: what watchers of a running run's live log cost the server. 300 clients
// (BENCH_LIVE_LOGS; 10 from each of 30 loopback addresses) open `GET /runs/:id/log` as SSE on
// the full server (buildServer, in a process of its own, default caps: 200 in all, 10 per
// address); then, for BENCH_LIVE_SECONDS, the run writes 10 lines a second while /healthz is
// asked twice a second. Prints the server process's CPU time over that window (goal: a few
// percent of one core), its open file descriptors, /healthz's slowest answer, and how the 300
// were answered; fails when a stream that was let in missed a line.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { RunStore } from '../src/queue/store.js';
import { fmt, startServer, tempDir, writeConfig } from './http-fixture.js';
import { knob } from './smoke.js';

const clients = knob('BENCH_LIVE_LOGS', 300, 60);
const seconds = knob('BENCH_LIVE_SECONDS', 10, 2);
const perAddress = 10;

const dir = tempDir('live-logs');
const config = writeConfig(dir);
const storeFile = join(dir, 'store', 'cc-ci.db');
const runId = 'live-bench-1';
const store = new RunStore(storeFile);
store.insertRun(runId, {
  recipe: 'custom-html',
  repo: 'https://git.example.org/coop-cloud/custom-html.git',
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind: 'api' },
});
store.markRunning(runId, 4242);
store.close();
const logFile = join(dir, 'store', 'runs', runId, 'artifacts', 'run.log');
mkdirSync(dirname(logFile), { recursive: true });
const line = (n: number) => JSON.stringify({ level: 30, time: Date.now(), msg: `line ${n}` }) + '\n';
appendFileSync(logFile, line(0));

/** utime + stime of a process, in seconds (/proc/<pid>/stat; clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const server = await startServer({ config, storeFile, mode: 'full' });
const pid = server.child.pid!;
const open: Array<{ req: ClientRequest; lines: number }> = [];
const answered = new Map<number, number>();
try {
  for (let i = 0; i < clients; i++) {
    const from = `127.0.0.${2 + Math.floor(i / perAddress)}`;
    const status = await new Promise<number>((ok, fail) => {
      const req = request(`${server.url}/runs/${runId}/log`, {
        localAddress: from,
        headers: { accept: 'text/event-stream' },
      });
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return ok(res.statusCode ?? 0);
        }
        const client = { req, lines: 0 };
        open.push(client);
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const parts = (rest + chunk).split('\n');
          rest = parts.pop() ?? '';
          for (const part of parts) if (part.startsWith('data: ')) client.lines++;
        });
        ok(200);
      });
      req.on('error', fail);
      req.end();
    });
    answered.set(status, (answered.get(status) ?? 0) + 1);
  }
  await new Promise((r) => setTimeout(r, 500));

  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const cpuBefore = cpuSeconds(pid);
  const wallBefore = performance.now();
  let written = 1;
  let slowest = 0;
  const writing = setInterval(() => appendFileSync(logFile, line(written++)), 100);
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const asked = performance.now();
    const res = await fetch(`${server.url}/healthz`);
    await res.text();
    slowest = Math.max(slowest, performance.now() - asked);
    await new Promise((r) => setTimeout(r, 500));
  }
  clearInterval(writing);
  await new Promise((r) => setTimeout(r, 2000)); // the last lines reach everyone
  const cpu = cpuSeconds(pid) - cpuBefore;
  const wall = (performance.now() - wallBefore) / 1000;
  const missed = open.filter((c) => c.lines < written).length;
  const how = [...answered].map(([status, n]) => `${n} × ${status}`).join(', ');
  console.log(
    `live logs: server CPU ${fmt((cpu / wall) * 100, 1)} % of one core over ${fmt(wall, 1)} s ` +
      `with ${open.length} streams open (${clients} asked: ${how}), ${written} lines written, ` +
      `/healthz slowest ${fmt(slowest, 1)} ms, ${fds} open fds; ` +
      (missed === 0 ? 'every stream got every line' : `${missed} STREAMS MISSED LINES`),
  );
  if (missed > 0) process.exitCode = 1;
} finally {
  for (const c of open) c.req.destroy();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
