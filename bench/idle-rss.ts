// bench/idle-rss: the real `cc-ci serve --config <temp config>` (dist/src/cli.js) with an empty
// store, on 127.0.0.1; once /healthz answers it idles 5 s (1 s in smoke mode, bench/smoke.ts),
// then its VmRSS (/proc/<pid>/status) is printed (goal <= 150 MB) and it is stopped with
// SIGTERM. `serve` checks at start-up that abra has every command and flag cc-ci passes, so
// the config names the testbed's stand-in abra (testbed/bin/abra; `npm run build` makes it);
// that check only reads its --help. The config points at a Docker socket that does not exist
// and a domain nobody uses, so the janitor `serve` runs at start can touch no swarm (it fails
// and says so; serving goes on).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, tempDir } from './http-fixture.js';
import { knob } from './smoke.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const cli = join(root, 'dist/src/cli.js');
const IDLE_MS = knob('BENCH_IDLE_MS', 5_000, 1_000);

/** A free port on 127.0.0.1 (the CLI contract takes host:port in the config). */
const port = await new Promise<number>((ok, fail) => {
  const s = createServer()
    .once('error', fail)
    .listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a ? a.port : 0));
    });
});

const dir = tempDir('idle-rss');
const config = join(dir, 'cc-ci.yml');
// serve refuses to start when abra has no entry for swarm.server: an empty one, as `abra server add` leaves.
mkdirSync(join(dir, 'abra/servers/rss-bench.invalid'), { recursive: true });
writeFileSync(
  config,
  [
    'swarm:',
    '  server: rss-bench.invalid',
    '  domain: rss-bench.invalid',
    `  abra: ${join(root, 'testbed/bin/abra')}`,
    `  abraDir: ${join(dir, 'abra')}`,
    `  dockerHost: unix://${join(dir, 'no-docker.sock')}`,
    `store: ${join(dir, 'store')}`,
    `recipesDir: ${join(dir, 'recipes')}`,
    'dashboard:',
    `  listen: 127.0.0.1:${port}`,
    `  publicUrl: http://127.0.0.1:${port}`,
    '',
  ].join('\n'),
);

const child = spawn(process.execPath, [cli, 'serve', '--config', config], {
  stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, CCCI_ADMIN_TOKEN: 'idle-rss-bench-token-0123456789' },
});
let stderr = '';
child.stderr!.on('data', (c: Buffer) => {
  stderr += c.toString();
});
const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));

try {
  const deadline = Date.now() + 30_000;
  let health: unknown;
  while (!health) {
    if (child.exitCode !== null)
      throw new Error(`cc-ci serve exited (${child.exitCode}) before /healthz answered:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`/healthz did not answer within 30 s:\n${stderr}`);
    health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => (r.ok ? r.json() : undefined),
      () => undefined,
    );
    if (!health) await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  console.log(
    `idle serve RSS: ${fmt(kb / 1024)} MB (goal <= 150 MB), peak ${fmt(hwm / 1024)} MB, ` +
      `after ${IDLE_MS / 1000} s idle; /healthz ${JSON.stringify(health)}`,
  );
} finally {
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
  if (code === 'timeout') {
    child.kill('SIGKILL');
    process.stderr.write('cc-ci serve did not stop within 15 s of SIGTERM; killed it\n');
  } else {
    process.stderr.write(`cc-ci serve stopped on SIGTERM (exit ${code})\n`);
  }
  rmSync(dir, { recursive: true, force: true });
}
