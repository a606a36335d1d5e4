// `cc-ci drone step` end to end on one machine: a real serve (the whole HTTP server on
// 127.0.0.1), the step with a stand-in `cc-ci run` child (test/support/stand-in-run.mjs) that
// writes a run's files as they go. serve down for a while loses nothing; a cancel is the child
// contract's stop; a serve that never comes back, or that refuses the run, ends the step 3; the
// child never holds the ingest secret or the run's key.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import { runIngestKey } from '../../../src/drone/ingest-credential.js';
import { readStepParams } from '../../../src/drone/step-params.js';
import { followEvents } from '../../../src/executors/follow-events.js';
import type { RunEventLine } from '../../../src/model/run-events.js';
import { runFolder, writeStopReason } from '../../../src/model/run-folder.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { runDroneStep } from '../../../src/wiring/drone-step.js';
import { INGEST_SECRET, runRequest, startIngestServer, type IngestServer } from '../../support/ingest-server.js';

const cli = fileURLToPath(new URL('../../support/stand-in-run.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cc-ci-step-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let serve: IngestServer | undefined;
afterEach(async () => {
  await serve?.close();
  serve = undefined;
});

/** The runner host's own config (its store), its ingest secret from the Drone secret's variable. */
function runnerHost(): { config: Config; secrets: SecretRegistry } {
  const dir = mkdtempSync(join(root, 'runner-'));
  writeFileSync(join(dir, 'cc-ci.yml'), 'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n');
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), env: { CCCI_INGEST_SECRET: INGEST_SECRET }, secrets });
  return { config, secrets };
}

function stepEnv(s: IngestServer, runId: string, recipe = 'custom-html', ms = 2000): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CCCI_RUN_ID: runId,
    CCCI_RECIPE: recipe,
    CCCI_REPO: 'https://git.example.org/coop-cloud/custom-html.git',
    CCCI_REF: 'refs/pull/7/head',
    CCCI_STAGES: 'install,upgrade',
    CCCI_KEEP: 'false',
    CCCI_SERVE_URL: s.base,
    CCCI_INGEST_SECRET: INGEST_SECRET,
    DRONE_RUNNER_NAME: 'runner-1',
    DRONE_BUILD_NUMBER: '12',
    STAND_IN_MS: String(ms),
  };
}

async function step(
  s: IngestServer,
  runId: string,
  opts: { recipe?: string; ms?: number; deliverForMs?: number } = {},
) {
  const host = runnerHost();
  const env = stepEnv(s, runId, opts.recipe, opts.ms);
  const said: string[] = [];
  const done = runDroneStep({
    params: readStepParams(env),
    config: host.config,
    secrets: host.secrets,
    env,
    cli,
    deliverForMs: opts.deliverForMs ?? 60_000,
    retryDelay: () => 100,
    say: (line) => said.push(host.secrets.redact(line)),
  });
  return { host, said, done };
}

function queued(s: IngestServer, id: string) {
  s.store.insertRun(id, runRequest());
  s.store.markRunning(id, undefined);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

const FILES = ['events', 'run.log', 'install-screenshot.png', 'results.json'] as const;
function sameFiles(runnerStore: string, serveStore: string, id: string) {
  const a = runFolder(runnerStore, id);
  const b = runFolder(serveStore, id);
  for (const name of FILES) {
    const [from, to] = name === 'events' ? [a.events, b.events] : [join(a.artifacts, name), join(b.artifacts, name)];
    expect(existsSync(to), `${name} on serve`).toBe(true);
    expect(readFileSync(to).equals(readFileSync(from)), `${name} byte-identical`).toBe(true);
  }
}

describe('cc-ci drone step', () => {
  it('with serve down for a while mid-run: nothing lost, nothing doubled, the run’s exit code', async () => {
    const s = (serve = await startIngestServer(root));
    queued(s, 'r-blip');
    const { host, said, done } = await step(s, 'r-blip', { recipe: 'failing', ms: 3000 });
    // serve has some of the run, then is gone for a second while the run goes on.
    const onServe = runFolder(s.config.store, 'r-blip').events;
    await until(() => existsSync(onServe) && readFileSync(onServe, 'utf8').includes('stage-started'));
    await s.stop();
    await sleep(1000);
    await s.restart();
    expect(await done).toBe(1);
    sameFiles(host.config.store, s.config.store, 'r-blip');
    expect(said.join('\n')).toContain("serve is not taking the run's files");
    expect(said.join('\n')).toContain("serve takes the run's files again");
    // The events are whole lines, each once, in order: the local executor's follower reads them
    // on serve as it reads a local child's.
    const seen: RunEventLine[] = [];
    const follower = followEvents(runFolder(s.config.store, 'r-blip').events, (e) => seen.push(e));
    follower.drain();
    follower.stop();
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen[0]?.type).toBe('run-started');
    expect(seen.at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1 });
  });

  it('the child never holds the ingest secret or the run’s key; the step’s output shows neither', async () => {
    const s = (serve = await startIngestServer(root));
    queued(s, 'r-env');
    const { host, said, done } = await step(s, 'r-env', { ms: 200 });
    expect(await done).toBe(0);
    const child = readFileSync(join(runFolder(host.config.store, 'r-env').dir, 'child-env.json'), 'utf8');
    const key = runIngestKey(INGEST_SECRET, 'r-env').toString('hex');
    expect(child).not.toContain(INGEST_SECRET);
    expect(child).not.toContain(key);
    expect(JSON.parse(child).env).not.toHaveProperty('CCCI_INGEST_SECRET');
    // The run is started as the child contract says, with this host's config.
    const { args } = JSON.parse(child) as { args: string[] };
    expect(args).toEqual(
      expect.arrayContaining(['--run-id', 'r-env', '--events', runFolder(host.config.store, 'r-env').events]),
    );
    expect(args).toEqual(expect.arrayContaining(['--config', host.config.path, '--stages', 'install,upgrade']));
    expect(said.join('\n')).toContain('runner runner-1');
    // Registered: were either printed, it would be masked.
    expect(host.secrets.redact(`a ${INGEST_SECRET} b ${key}`)).toBe('a *** b ***');
  });

  it('a cancel (SIGTERM to the step) is the child contract’s stop: CANCELLED, exit 3, all delivered', async () => {
    const s = (serve = await startIngestServer(root));
    queued(s, 'r-cancel');
    const { host, done } = await step(s, 'r-cancel', { ms: 20_000 });
    const started = runFolder(s.config.store, 'r-cancel').events;
    await until(() => existsSync(started));
    process.emit('SIGTERM', 'SIGTERM');
    expect(await done).toBe(3);
    const reason = JSON.parse(readFileSync(runFolder(host.config.store, 'r-cancel').stopReason, 'utf8'));
    expect(reason.code).toBe('CANCELLED');
    const onServe = readFileSync(runFolder(s.config.store, 'r-cancel').events, 'utf8');
    expect(onServe).toContain('"type":"run-finished"');
    expect(onServe).toContain('CANCELLED');
  });

  it('a stop serve’s executor asks for (its stop reason) reaches the run: it stops with serve’s reason', async () => {
    const s = (serve = await startIngestServer(root));
    queued(s, 'r-superseded');
    const { host, said, done } = await step(s, 'r-superseded', { ms: 20_000 });
    const onServe = runFolder(s.config.store, 'r-superseded');
    await until(() => existsSync(onServe.events));
    writeStopReason(onServe, { code: 'SUPERSEDED', message: 'superseded by run r-9' });
    expect(await done).toBe(3);
    expect(JSON.parse(readFileSync(runFolder(host.config.store, 'r-superseded').stopReason, 'utf8'))).toEqual({
      code: 'SUPERSEDED',
      message: 'superseded by run r-9',
    });
    expect(readFileSync(onServe.events, 'utf8')).toContain('superseded by run r-9');
    expect(said.join('\n')).toContain('serve asks for a stop (SUPERSEDED)');
  });

  it('a serve that never comes back: exit 3 after the delivery limit, naming what was not delivered', async () => {
    const s = (serve = await startIngestServer(root));
    queued(s, 'r-gone');
    await s.stop();
    const started = Date.now();
    const { host, said, done } = await step(s, 'r-gone', { ms: 200, deliverForMs: 1500 });
    expect(await done).toBe(3);
    // It kept trying for the limit after the run ended, not a moment less.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    const last = said.at(-1) ?? '';
    expect(last).toContain('could not deliver events');
    expect(last).toContain('artifacts/results.json');
    expect(last).toContain(runFolder(host.config.store, 'r-gone').dir);
  });

  it('a run serve does not know: exit 3 at once, saying serve refused it', async () => {
    const s = (serve = await startIngestServer(root));
    const started = Date.now();
    const { said, done } = await step(s, 'r-unknown', { ms: 200 });
    expect(await done).toBe(3);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(said.at(-1)).toContain('no such run');
  });
});
