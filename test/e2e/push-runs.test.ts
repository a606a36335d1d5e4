// Runs nobody asks for, end to end: a real `cc-ci serve` on the testbed with the stand-in forge
// (testbed/forge/). Enrolling a recipe that never had a default-branch run queues one run of its
// head, which ends with a verdict, and its badge leaves "no runs"; a push to the default branch
// queues exactly one run of the new head; two quick pushes give one run of the newer. A schedule
// (`* * * * *`) queues the enrolled recipe once at its next firing, and not again while that run
// is queued or running.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../../testbed/forge/server.js';
import { waitFor } from './helpers.js';
import { api, finished, runUntil, serveConfig, startServe, type ApiRun, type ServeInstance } from './serve-helpers.js';

const REPO = 'coop-cloud/custom-html';
const RUN_TIMEOUT = 300_000;

type Run = ApiRun & {
  sha?: string;
  ref: string;
  pr?: number;
  trigger: { kind: string };
  createdAt: string;
  finishedAt: string | null;
};

let forge: Forge;
let serves: ServeInstance[] = [];

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
});

async function stopServes(): Promise<void> {
  for (const s of serves) s.process.kill('SIGTERM');
  await Promise.all(serves.map((s) => s.process));
  serves = [];
}

afterEach(stopServes);
afterAll(async () => {
  await stopServes();
  await forge?.close();
});

async function serveWith(forgeKeys: Record<string, unknown>, schedules?: unknown[]): Promise<ServeInstance> {
  const cfg = await serveConfig({ capacity: 1 });
  const doc = parse(readFileSync(cfg.file, 'utf8'));
  doc.forge = { type: 'gitea', url: forge.url, org: 'coop-cloud', repos: [REPO], pollInterval: '1s', ...forgeKeys };
  if (schedules) doc.schedules = schedules;
  // What queues runs is under test here, not the stages: install alone keeps each run short.
  doc.runner.stages = ['install'];
  writeFileSync(cfg.file, stringify(doc));
  const serve = await startServe(cfg, { CCCI_FORGE_TOKEN: forge.seeded!.tokens['cc-ci-bot']! });
  serves.push(serve);
  return serve;
}

const runsOf = async (serve: ServeInstance, kind: string) =>
  (await api<{ runs: Run[] }>(serve.url, '/api/runs')).body.runs.filter((r) => r.trigger.kind === kind);

const branch = async () =>
  ((await (await fetch(`${forge.url}/api/v1/repos/${REPO}`)).json()) as { default_branch: string }).default_branch;

const push = async (marker: string) =>
  forge.control.commitOnBranch(REPO, await branch(), { 'marker.txt': `${marker}\n` }, `push ${marker}`);

describe('runs nobody asks for', () => {
  it('a first run at enrolment, then exactly one run per push, and one of the newer of two quick pushes', async () => {
    const serve = await serveWith({});
    const head = (await forge.control.handle(REPO)).head;
    const first = await waitFor('the enrolment run', async () => (await runsOf(serve, 'push'))[0], 60_000);
    expect(first).toMatchObject({ ref: await branch(), sha: head });
    const ended = await runUntil(serve.url, first.id, finished, RUN_TIMEOUT);
    expect(['pass', 'fail']).toContain(ended.verdict);
    const badge = await (await fetch(`${serve.url}/badge/custom-html.svg`)).text();
    expect(badge).not.toContain('no runs');

    const one = await push('e2e-one');
    const second = await waitFor(
      'the run of the push',
      async () => (await runsOf(serve, 'push')).find((r) => r.sha === one),
      60_000,
    );
    await runUntil(serve.url, second.id, finished, RUN_TIMEOUT);
    expect((await runsOf(serve, 'push')).filter((r) => r.sha === one)).toHaveLength(1);

    const a = await push('e2e-a');
    const b = await push('e2e-b');
    const newer = await waitFor(
      'the run of b',
      async () => (await runsOf(serve, 'push')).find((r) => r.sha === b),
      60_000,
    );
    await runUntil(serve.url, newer.id, finished, RUN_TIMEOUT);
    // a was either never seen (both pushes fell between two polls) or superseded by b.
    const ofA = (await runsOf(serve, 'push')).filter((r) => r.sha === a);
    expect(ofA.every((r) => r.state === 'superseded')).toBe(true);
    expect((await runsOf(serve, 'push')).filter((r) => r.sha === b)).toHaveLength(1);
  }, 1_200_000);

  it('a schedule queues the enrolled recipe once at its next firing, and not again while it goes', async () => {
    const serve = await serveWith({ pushRuns: false }, [{ cron: '* * * * *', run: 'all' }]);
    const run = await waitFor('the sweep run', async () => (await runsOf(serve, 'sweep'))[0], 90_000);
    expect(run).toMatchObject({ ref: await branch(), sha: (await forge.control.handle(REPO)).head });
    await runUntil(serve.url, run.id, finished, RUN_TIMEOUT);
    // Firings while a sweep run was queued or running queued nothing: no two sweep runs overlap.
    const sweeps = (await runsOf(serve, 'sweep')).sort((x, y) => x.createdAt.localeCompare(y.createdAt));
    for (let i = 1; i < sweeps.length; i++)
      expect(Date.parse(sweeps[i]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(sweeps[i - 1]!.finishedAt ?? '9999'));
    expect((await runsOf(serve, 'push')).length).toBe(0);
  }, 600_000);
});
