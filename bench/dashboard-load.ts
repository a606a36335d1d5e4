// bench/dashboard-load: the dashboard over a store of 200 recipes and 100 000 runs (stage and
// check rows for the newest 2 000), the full server (buildServer, a fake RunControl) in its own
// process on 127.0.0.1; 50 concurrent connections for BENCH_SECONDS (10) each on `GET /` and on
// `GET /runs/<id>`, after a 2 s warm-up. Prints p95 latency (goal <= 50 ms) and requests/s.
import { rmSync } from 'node:fs';
import { filledStore, fmt, load, startServer, tempDir, writeConfig } from './http-fixture.js';
import { knob, smoke } from './smoke.js';

const seconds = knob('BENCH_SECONDS', 10, 1);
// Smoke mode (bench/smoke.ts): a store of 2 000 runs, 1 s of load after 1 s of warm-up.
const size = smoke
  ? { recipes: 200, runs: 2_000, withStages: 200 }
  : { recipes: 200, runs: 100_000, withStages: 2_000 };
const warmUp = smoke ? 1 : 2;
const dir = tempDir('dashboard');
const config = writeConfig(dir);
const storeFile = `${dir}/store/cc-ci.db`;
const { sampleRun, fillMs } = filledStore(storeFile, size);
process.stderr.write(`store ready in ${fmt(fillMs / 1000)} s (${size.recipes} recipes, ${size.runs} runs)\n`);

const server = await startServer({ config, storeFile, mode: 'full' });
let worst = 0;
try {
  for (const path of ['/', `/runs/${sampleRun}`]) {
    const url = `${server.url}${path}`;
    const probe = await fetch(url);
    const body = await probe.text();
    if (probe.status !== 200) throw new Error(`GET ${path} answered ${probe.status}: ${body.slice(0, 200)}`);
    // As a browser asks: with gzip.
    const headers = { 'accept-encoding': 'gzip, deflate, br' };
    await load(url, { connections: 50, seconds: warmUp, headers });
    const r = await load(url, { connections: 50, seconds, headers });
    worst = Math.max(worst, r.p95);
    console.log(
      `GET ${path}: p95 ${fmt(r.p95)} ms (goal <= 50 ms), ` +
        `p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ${fmt(r.requestsPerSec, 0)} requests/s, ` +
        `${fmt(body.length / 1024)} KiB a page, ` +
        `${r.total} requests, ${r.non2xx} not 2xx, ${r.errors} errors [50 connections, ${seconds} s]`,
    );
  }
  console.log(`dashboard p95 ${worst <= 50 ? 'meets' : 'misses'} the goal: worst ${fmt(worst)} ms (goal <= 50 ms)`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
