// A stand-in for the child `cc-ci run <recipe> … --run-id ID --events FILE --config FILE`: it
// writes what a run writes, as a run writes it (events appended a line at a time, run.log growing,
// a binary screenshot, results.json at the end), over about STAND_IN_MS, without a swarm. It keeps
// its environment in <run dir>/child-env.json (outside the artifacts) for the tests to read. A
// SIGTERM is the child contract's stop: it reads stop-reason.json, reports its code and exits 3.
// The recipe `failing` ends with exit 1.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Buffer } from 'node:buffer';

const args = process.argv.slice(2);
const flag = (name) => args[args.indexOf(name) + 1];
const recipe = args[1];
const runId = flag('--run-id');
const events = flag('--events');
const dir = dirname(events);
const artifacts = join(dir, 'artifacts');
mkdirSync(artifacts, { recursive: true });
writeFileSync(join(dir, 'child-env.json'), JSON.stringify({ env: process.env, args }));

let seq = 0;
const event = (type, extra = {}) =>
  appendFileSync(events, JSON.stringify({ runId, seq: ++seq, at: new Date().toISOString(), type, ...extra }) + '\n');
// Lines long enough that the log crosses several of the shipper's chunks.
const log = (msg) =>
  appendFileSync(
    join(artifacts, 'run.log'),
    JSON.stringify({ level: 30, time: Date.now(), msg, pad: 'x'.repeat(900) }) + '\n',
  );

const finish = (exitCode, error) => {
  writeFileSync(join(artifacts, 'results.json'), JSON.stringify({ recipe, exitCode, ...(error ? { error } : {}) }));
  event('run-finished', { exitCode, results: { recipe, ...(error ? { error } : {}) } });
  process.exit(exitCode);
};

process.on('SIGTERM', () => {
  let reason = { code: 'CANCELLED', message: 'stopped by SIGTERM' };
  try {
    reason = JSON.parse(readFileSync(join(dir, 'stop-reason.json'), 'utf8'));
  } catch {
    /* no reason given */
  }
  log(`stopping: ${reason.message}`);
  finish(3, reason);
});

event('run-started', { recipe, pid: process.pid });
const steps = 40;
const stepMs = Number(process.env.STAND_IN_MS ?? 2000) / steps;
for (let i = 0; i < steps; i++) {
  if (i % 10 === 0) event('stage-started', { stage: `stage-${i / 10}` });
  log(`step ${i}`);
  await sleep(stepMs);
}
// A screenshot: bytes that are not text.
writeFileSync(
  join(artifacts, 'install-screenshot.png'),
  Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)),
);
finish(recipe === 'failing' ? 1 : 0);
