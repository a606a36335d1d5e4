// A run owns its signals: SIGTERM, SIGINT (and SIGHUP) tear down whatever the run is doing,
// even with Chromium open, and end `error` with the reason the stop was given, never the recipe's
// fail. The server's reason (superseded) reaches the results through stop-reason.json. A stop
// during a check that would run for minutes starts teardown within seconds. The events file tells
// the whole story.
import { execaSync } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvents, type RunEventLine } from '../../src/model/run-events.js';
import { configWith, fixtures, lane, leftovers, startCli, waitFor } from './helpers.js';

const store = lane.store;

function readEvents(file: string): RunEventLine[] {
  return existsSync(file) ? parseEvents(readFileSync(file, 'utf8')) : [];
}

/** The run's log lines (pino JSON) with their time. */
function logLines(runId: string): Array<{ time: number; msg: string }> {
  const file = join(store, 'runs', runId, 'artifacts', 'run.log');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { time: number; msg: string });
}

function chromiumChildren(pid: number): number {
  const r = execaSync('pgrep', ['-P', String(pid), '-f', 'chromium'], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean).length;
}

describe('signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s during install with Chromium open: teardown, exit 3, error CANCELLED, no fail',
    async (signal) => {
      const repos = await fixtures(['pg-app']);
      const runId = `sig-${signal.toLowerCase()}-${Date.now()}`;
      const events = join(mkdtempSync('/tmp/cc-ci-events-'), 'events.jsonl');
      const run = startCli([
        'run',
        'pg-app',
        '--repo',
        repos['pg-app']!.url,
        '--ref',
        'main',
        '--quick',
        '--json',
        '--run-id',
        runId,
        '--events',
        events,
      ]);
      // Chromium is started as the deploy begins; the stack is still converging (pg-app takes a while).
      const app = await waitFor('the install app to be deploying with Chromium open', async () => {
        const claimed = readEvents(events).find((e) => e.type === 'app-claimed');
        if (!claimed || claimed.type !== 'app-claimed') return undefined;
        return (await leftovers(claimed.stack)).some((l) => l.startsWith('services ')) && chromiumChildren(run.pid!) > 0
          ? claimed
          : undefined;
      });
      process.kill(run.pid!, signal);
      const r = await run;
      expect(r.exitCode, String(r.stderr)).toBe(3);
      const results = JSON.parse(String(r.stdout));
      expect(results.verdict).toBe('error');
      expect(results.error).toEqual({ code: 'CANCELLED', message: `stopped by ${signal}` });
      expect(results.stages[0]).toMatchObject({ name: 'install', status: 'error', code: 'CANCELLED' });
      expect(results.stages.filter((s: { status: string }) => s.status === 'fail')).toEqual([]);
      expect(results.teardown).toMatchObject({ clean: true, left: [] });
      expect(await leftovers(app.stack)).toEqual([]);
      // The cancelled run's events, in order.
      const types = readEvents(events).map((e) => e.type);
      expect(types).toEqual([
        'run-started',
        'stage-started',
        'app-claimed',
        'stage-finished',
        'app-released',
        'run-finished',
      ]);
      expect(readEvents(events).at(-1)).toMatchObject({
        type: 'run-finished',
        exitCode: 3,
        results: { error: { code: 'CANCELLED' } },
      });
      // The fatal line reaches run.log, not only stderr.
      expect(logLines(runId).some((l) => l.msg === `CANCELLED: stopped by ${signal}`)).toBe(true);
      expect(chromiumChildren(run.pid!)).toBe(0);
    },
  );

  const stopDuringCheck =
    'a stop during a custom check that would run for minutes starts teardown within 15 s, ' +
    'with the reason the server gave';
  it(stopDuringCheck, async () => {
    const repos = await fixtures(['custom-html']);
    const specs = mkdtempSync('/tmp/cc-ci-specs-');
    mkdirSync(join(specs, 'custom-html'));
    writeFileSync(join(specs, 'custom-html', 'ci.yml'), 'health: {path: /, timeout: 60s}\n');
    // A check that ignores every signal and sleeps for ten minutes (once it says it has started).
    const sleeping = join(specs, 'sleeping');
    writeFileSync(
      join(specs, 'custom-html', 'slow.check.mjs'),
      [
        "import { writeFileSync } from 'node:fs';",
        'export async function slow() {',
        `  writeFileSync(${JSON.stringify(sleeping)}, '');`,
        '  await new Promise((r) => setTimeout(r, 600_000));',
        '}',
        '',
      ].join('\n'),
    );
    const runId = `sig-check-${Date.now()}`;
    const events = join(mkdtempSync('/tmp/cc-ci-events-'), 'events.jsonl');
    const run = startCli([
      'run',
      'custom-html',
      '--repo',
      repos['custom-html']!.url,
      '--ref',
      'main',
      '--stages',
      'install,recipe-local,lint',
      '--json',
      '--run-id',
      runId,
      '--events',
      events,
      '--config',
      configWith({ recipesDir: specs }),
    ]);
    await waitFor(
      'recipe-local to start',
      async () => readEvents(events).some((e) => e.type === 'stage-started' && e.stage === 'recipe-local') || undefined,
    );
    await waitFor('the check to be sleeping', async () => existsSync(sleeping) || undefined);
    // What the server does to supersede a run: say why, then SIGTERM.
    writeFileSync(
      join(store, 'runs', runId, 'stop-reason.json'),
      JSON.stringify({ code: 'SUPERSEDED', message: 'superseded by run 2' }),
    );
    const stoppedAt = Date.now();
    process.kill(run.pid!, 'SIGTERM');
    const r = await run;
    expect(r.exitCode, String(r.stderr)).toBe(3);
    const teardownAt = logLines(runId).find((l) => l.msg === 'teardown')!.time;
    expect(teardownAt - stoppedAt).toBeLessThan(15_000);
    const results = JSON.parse(String(r.stdout));
    expect(results.error).toEqual({ code: 'SUPERSEDED', message: 'superseded by run 2' });
    const byName = Object.fromEntries(results.stages.map((s: { name: string }) => [s.name, s]));
    expect(byName.install.status).toBe('pass');
    expect(byName['recipe-local']).toMatchObject({ status: 'error', code: 'SUPERSEDED' });
    expect(byName['recipe-local'].checks).toEqual([
      expect.objectContaining({ name: 'slow.slow', status: 'error', code: 'SUPERSEDED' }),
    ]);
    expect(results.teardown).toMatchObject({ clean: true });
    for (const a of results.apps) expect(await leftovers(a.stack)).toEqual([]);
  });
});
