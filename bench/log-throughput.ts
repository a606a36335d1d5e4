// bench/log-throughput: one SSE client on `GET /runs/:id/log` of a running run while a writer
// (a process of its own) appends ~200 MB (BENCH_LOG_MB) of pino JSON lines to its run.log as
// fast as it can; when the writer is done the run ends and the stream must send `event: end`.
// Prints MB/s of log through formatting and redaction (goal >= 50 MB/s): the log's bytes over
// the time from the first write to `end`. The server (buildServer, fake RunControl) runs in its
// own process with secrets registered; the client checks none of them comes through.
import { fork } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunStore } from '../src/queue/store.js';
import { fmt, startServer, tempDir, writeConfig } from './http-fixture.js';
import { knob } from './smoke.js';

const SECRETS = ['s3cr3t-db-password-5f2a9c', 'generated-app-key-0b8e7d61c4', 'admin-token-log-bench-77aa'];

if (process.argv[2] === '--writer') {
  // The writer: pino-like lines, a few carrying a secret (the child masks them; the server masks
  // again). 4 MB of distinct lines are made once and appended over and over, so the writer runs
  // at disk speed and the figure is the stream's.
  const [, , , file, mb] = process.argv;
  const target = Number(mb) * 1024 * 1024;
  const srcs = ['abra', 'docker', 'runner', 'check', 'converge'];
  const stages = ['install', 'upgrade', 'backup', 'recipe-local', 'lint'];
  let pool = '';
  let t = Date.parse('2026-11-30T12:00:00Z');
  for (let n = 1; pool.length < 4 * 1024 * 1024; n++) {
    const stage = stages[n % 5]!;
    const line =
      n % 50 === 0
        ? {
            level: 30,
            time: t,
            runId: 'log-bench',
            stage,
            src: 'abra',
            msg: `generated secret for app: ${SECRETS[n % SECRETS.length]}`,
          }
        : n % 7 === 0
          ? {
              level: 40,
              time: t,
              runId: 'log-bench',
              stage,
              service: `app_${n % 4}`,
              tasks: { running: n % 3, desired: 3 },
              msg:
                `waiting for ${stage}-a1b2c3.ci.example.org to converge: service app_${n % 4} ` +
                `has ${n % 3}/3 tasks running, last task error "task: non-zero exit (1)"`,
            }
          : {
              level: 30,
              time: t,
              runId: 'log-bench',
              stage,
              src: srcs[n % 5],
              msg:
                `${srcs[n % 5]}: step ${n} of the ${stage} stage: ` +
                `GET https://${stage}-a1b2c3.ci.example.org/path/${n % 100} -> 200 in ${n % 97} ms`,
            };
    pool += JSON.stringify(line) + '\n';
    if (n % 100 === 0) t += 7;
  }
  const chunk = Buffer.from(pool);
  const fd = openSync(file!, 'a');
  for (let written = 0; written < target;) written += writeSync(fd, chunk);
  closeSync(fd);
  process.exit(0);
}

const mb = knob('BENCH_LOG_MB', 200, 4);
const dir = tempDir('log');
const config = writeConfig(dir);
const storeFile = join(dir, 'store', 'cc-ci.db');
const runId = 'log-bench-1';
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

const server = await startServer({
  config,
  storeFile,
  mode: 'full',
  env: { CCCI_ADMIN_TOKEN: SECRETS[2], BENCH_SECRETS: SECRETS.join(',') },
});
try {
  let received = 0;
  let leaked = 0;
  let ended = false;
  let tail = '';
  const streamed = new Promise<number>((ok, fail) => {
    const req = request(`${server.url}/runs/${runId}/log`, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return fail(new Error(`GET /runs/${runId}/log answered ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        received += Buffer.byteLength(chunk);
        const text = tail + chunk;
        for (const s of SECRETS) if (text.includes(s)) leaked++;
        if (!ended && /(^|\n)event: end\n/.test(text)) {
          ended = true;
          ok(performance.now());
        }
        tail = text.slice(-64);
      });
      res.on('end', () => (ended ? undefined : fail(new Error('the stream ended without `event: end`'))));
    });
    req.on('error', fail);
    req.end();
  });
  await new Promise((r) => setTimeout(r, 300)); // the client is attached before the first line
  const here = fileURLToPath(import.meta.url);
  const started = performance.now();
  const writer = fork(here, ['--writer', logFile, String(mb)], { stdio: 'inherit' });
  const wrote = await new Promise<number>((ok, fail) =>
    writer.once('exit', (code) => (code === 0 ? ok(performance.now()) : fail(new Error(`the writer exited ${code}`)))),
  );
  server.send({ type: 'finish', id: runId, state: 'passed' });
  const end = await streamed;
  const bytes = statSync(logFile).size;
  const seconds = (end - started) / 1000;
  console.log(
    `log stream: ${fmt(bytes / 1e6 / seconds)} MB/s (goal >= 50 MB/s): ` +
      `${fmt(bytes / 1e6)} MB of run.log to \`event: end\` in ${fmt(seconds, 2)} s ` +
      `(writer alone ${fmt((wrote - started) / 1000, 2)} s, ${fmt((end - wrote) / 1000, 2)} s after it), ` +
      `${fmt(received / 1e6)} MB of SSE received, ` +
      `${leaked === 0 ? 'no secret came through' : `A SECRET CAME THROUGH ${leaked} TIMES`}`,
  );
  if (leaked > 0) process.exitCode = 1;
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
