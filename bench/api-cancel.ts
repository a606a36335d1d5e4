// bench/api-cancel: a cancel through the API of a real `cc-ci serve`, sent while a run's install
// is converging on the testbed (pg-app), until the run is `cancelled` and nothing of its stack
// is left on the swarm. Prints min/median/max over BENCH_ROUNDS rounds.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import { SwarmDocker } from '../src/docker/docker.js';
import { parseEvents } from '../src/model/run-events.js';
import { makeFixtureRepos } from '../testbed/fixtures/make-recipes.js';
import { cli, root, rounds, testbedConfig, waitFor } from './lib.js';

const token = 'bench-admin-token-0123456789abcdef';
const docker = new SwarmDocker(new Docker({ socketPath: '/var/run/docker.sock' }));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const port = await freePort();
const dir = mkdtempSync('/tmp/cc-ci-bench-serve-');
const doc = parse(readFileSync(testbedConfig, 'utf8'));
doc.swarm.abra = join(root, 'testbed/bin/abra');
doc.recipesDir = join(root, 'testbed/fixtures/specs');
doc.store = join(dir, 'store');
// POST /api/runs clones only from allowed origins: here, the fixture repositories' folder.
doc.dashboard = {
  listen: `127.0.0.1:${port}`,
  publicUrl: `http://127.0.0.1:${port}`,
  allowedRepoOrigins: [`file://${dir}/repos/`],
};
const config = join(dir, 'cc-ci.yml');
writeFileSync(config, stringify(doc));
const base = `http://127.0.0.1:${port}`;
const repo = (await makeFixtureRepos(join(dir, 'repos'), ['pg-app']))['pg-app']!;

const serve = spawn(process.execPath, [cli, 'serve', '--config', config], {
  stdio: 'ignore',
  env: { ...process.env, CCCI_ADMIN_TOKEN: token },
});
const call = async (path: string, method = 'GET', body?: unknown) => {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json() as Promise<{ id: string; state: string }>;
};
const stacksOf = (id: string) => {
  const file = join(doc.store as string, 'runs', id, 'events.jsonl');
  return existsSync(file)
    ? parseEvents(readFileSync(file, 'utf8')).flatMap((e) => (e.type === 'app-claimed' ? [e.stack] : []))
    : [];
};

try {
  await waitFor(
    'serve',
    async () => {
      try {
        return (await fetch(`${base}/healthz`)).ok || undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
    200,
  );
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const run = await call('/api/runs', 'POST', { recipe: 'pg-app', ref: 'main', repo: repo.url, stages: ['install'] });
    const stack = await waitFor(
      'the install to be converging',
      async () => {
        const s = stacksOf(run.id)[0];
        return s && (await docker.services(s)).length > 0 ? s : undefined;
      },
      120_000,
      100,
    );
    const asked = Date.now();
    await call(`/api/runs/${run.id}/cancel`, 'POST');
    await waitFor(
      'cancelled',
      async () => ((await call(`/api/runs/${run.id}`)).state === 'cancelled' ? true : undefined),
      300_000,
      100,
    );
    await waitFor(
      'the swarm clean',
      async () => {
        const r = await docker.resources(stack);
        return Object.values(r).every((l) => l.length === 0) ? true : undefined;
      },
      300_000,
      100,
    );
    times.push(Date.now() - asked);
    process.stderr.write(
      `round ${i + 1}/${rounds}: cancelled and clean ${(times[i]! / 1000).toFixed(2)} s after the API call\n`,
    );
  }
  const sorted = [...times].sort((a, b) => a - b);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `api cancel -> run cancelled and swarm clean, during install (pg-app): min ${s(sorted[0]!)}, ` +
      `median ${s(sorted[Math.floor(sorted.length / 2)]!)}, max ${s(sorted.at(-1)!)} over ${rounds} rounds`,
  );
} finally {
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
}
