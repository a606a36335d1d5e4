// bench/badges: requests/s of `GET /badge/<recipe>.svg` (goal >= 5 000) and of the shields JSON,
// against the server (buildServer, in its own process) over a store of 200 recipes and 100 000
// runs, 50 connections for BENCH_SECONDS (10) each after a 2 s warm-up, on 127.0.0.1.
import { rmSync } from 'node:fs';
import {
  filledStore,
  fmt,
  load,
  recipeName,
  startServer,
  tempDir,
  writeConfig,
  type ServerProcess,
} from './http-fixture.js';
import { knob, smoke } from './smoke.js';

const seconds = knob('BENCH_SECONDS', 10, 1);
// Smoke mode (bench/smoke.ts): a store of 2 000 runs, 1 s of load after 1 s of warm-up.
const size = smoke
  ? { recipes: 200, runs: 2_000, withStages: 200 }
  : { recipes: 200, runs: 100_000, withStages: 2_000 };
const warmUp = smoke ? 1 : 2;
const dir = tempDir('badges');
const config = writeConfig(dir);
const storeFile = `${dir}/store/cc-ci.db`;
filledStore(storeFile, size);

let server: ServerProcess;
let mode = 'full server';
try {
  server = await startServer({ config, storeFile, mode: 'full' });
} catch (err) {
  // The pages may not be written yet: the badge route alone is what is measured anyway.
  process.stderr.write(
    `the full server did not start (${(err as Error).message}); measuring the API routes on a bare fastify\n`,
  );
  mode = 'bare fastify with the API routes';
  server = await startServer({ config, storeFile, mode: 'bare' });
}
try {
  const recipe = recipeName(7);
  for (const ext of ['svg', 'json']) {
    const url = `${server.url}/badge/${recipe}.${ext}`;
    const probe = await fetch(url);
    if (probe.status !== 200) throw new Error(`GET ${url} answered ${probe.status}`);
    await load(url, { connections: 50, seconds: warmUp });
    const r = await load(url, { connections: 50, seconds });
    console.log(
      `badge ${ext}: ${fmt(r.requestsPerSec, 0)} requests/s (goal >= 5 000), ` +
        `p50 ${fmt(r.p50)} ms, p95 ${fmt(r.p95)} ms, ` +
        `${r.total} requests, ${r.non2xx} not 2xx, ${r.errors} errors [${mode}, 50 connections, ${seconds} s]`,
    );
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
