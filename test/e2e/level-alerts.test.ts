// Level-change alerts end to end: a real `cc-ci serve` on the testbed with the stand-in forge
// (testbed/forge/), default-branch runs queued by pushes, install only (what cc-ci does with a
// verdict is under test here, not the stages). The enrolment run passes; a push that breaks the
// recipe's deploy fails and opens one issue with the failing stage and abra's message; a second
// breaking push updates that issue; a refused run of an unknown branch (an `error`) changes
// nothing; a push that mends the recipe passes and closes the issue with a comment. The commit of
// each push run gets the `cc-ci` status. 70–95 s (four install runs and a refused one).
import { readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../../testbed/forge/server.js';
import { waitFor } from './helpers.js';
import {
  adminToken,
  api,
  finished,
  runUntil,
  serveConfig,
  startServe,
  type ApiRun,
  type ServeInstance,
} from './serve-helpers.js';

const REPO = 'coop-cloud/custom-html';
const RUN_TIMEOUT = 240_000;

type Run = ApiRun & { sha?: string; trigger: { kind: string } };

let forge: Forge;
let serve: ServeInstance | undefined;

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
});

afterAll(async () => {
  serve?.process.kill('SIGTERM');
  await serve?.process;
  await forge?.close();
});

const branch = async () =>
  ((await (await fetch(`${forge.url}/api/v1/repos/${REPO}`)).json()) as { default_branch: string }).default_branch;

/** A push to the default branch, then the push run of its commit, to its end. */
async function pushAndRun(s: ServeInstance, files: Record<string, string>, message: string): Promise<Run> {
  const sha = await forge.control.commitOnBranch(REPO, await branch(), files, message);
  const run = await waitFor(
    `the push run of ${message}`,
    async () =>
      (await api<{ runs: Run[] }>(s.url, '/api/runs')).body.runs.find(
        (r) => r.trigger.kind === 'push' && r.sha === sha,
      ),
    60_000,
  );
  return (await runUntil(s.url, run.id, finished, RUN_TIMEOUT)) as Run;
}

const issues = () => forge.control.issues(REPO);

describe('level-change alerts', () => {
  it('a drop opens one issue, a second failure updates it, an error changes nothing, a pass closes it', async () => {
    const cfg = await serveConfig({ capacity: 1 });
    const doc = parse(readFileSync(cfg.file, 'utf8'));
    doc.forge = { type: 'gitea', url: forge.url, org: 'coop-cloud', repos: [REPO], pollInterval: '1s' };
    doc.runner.stages = ['install'];
    writeFileSync(cfg.file, stringify(doc));
    const s = await startServe(cfg, { CCCI_FORGE_TOKEN: forge.seeded!.tokens['cc-ci-bot']! });
    serve = s;
    const bare = (await forge.control.handle(REPO)).dir;
    const show = async (file: string) =>
      (await execa('git', ['--git-dir', bare, 'show', `HEAD:${file}`])).stdout + '\n';
    const compose = await show('compose.yml');
    // A recipe that names a config file it does not have: its deploy fails at once (the recipe's fail).
    const broken = (file: string) => ({ 'compose.yml': compose.replace('file: marker.txt', `file: ${file}`) });

    const first = await waitFor(
      'the enrolment run',
      async () => (await api<{ runs: Run[] }>(s.url, '/api/runs')).body.runs.find((r) => r.trigger.kind === 'push'),
      60_000,
    );
    expect((await runUntil(s.url, first.id, finished, RUN_TIMEOUT)).verdict).toBe('pass');
    expect(issues()).toEqual([]);

    const dropped = await pushAndRun(s, broken('no-such-file.txt'), 'break the deploy');
    expect(dropped.verdict).toBe('fail');
    const opened = await waitFor('the issue', async () => issues()[0], 30_000);
    expect(opened.title).toBe('cc-ci: custom-html dropped from L1 to L0');
    expect(opened.body).toContain('Failing stage: **install**');
    expect(opened.body).toContain('no-such-file.txt');
    expect(opened.body).toContain(`/runs/${dropped.id}`);

    const again = await pushAndRun(s, broken('still-no-such-file.txt'), 'break it differently');
    expect(again.verdict).toBe('fail');
    await waitFor(
      'the update',
      async () => (issues()[0]!.body!.includes(`/runs/${again.id}`) ? true : undefined),
      30_000,
    );
    expect(issues()).toHaveLength(1);

    // A run of a branch the repository does not have is refused: an `error`, cc-ci's input, not the recipe's.
    const refused = (
      await api<Run>(s.url, '/api/runs', {
        method: 'POST',
        token: adminToken,
        body: { recipe: 'custom-html', ref: 'no-such-branch' },
      })
    ).body;
    expect((await runUntil(s.url, refused.id, finished, RUN_TIMEOUT)).verdict).toBe('error');
    const afterError = issues();
    expect(afterError).toHaveLength(1);
    expect(afterError[0]!.body).toContain(`/runs/${again.id}`);
    expect(afterError[0]!.state).toBe('open');

    const back = await pushAndRun(s, { 'compose.yml': compose }, 'mend the recipe');
    expect(back.verdict).toBe('pass');
    const closed = await waitFor(
      'the close',
      async () => (issues()[0]!.state === 'closed' ? issues()[0] : undefined),
      30_000,
    );
    expect(closed.commentBodies).toHaveLength(1);
    expect(closed.commentBodies[0]).toContain('custom-html is back: pass L1');
    expect(issues()).toHaveLength(1);

    const statuses = (await (await fetch(`${forge.url}/api/v1/repos/${REPO}/statuses/${back.sha}`)).json()) as Array<{
      context: string;
      status: string;
      target_url: string;
    }>;
    expect(statuses[0]).toMatchObject({ context: 'cc-ci', status: 'success', target_url: `${s.url}/runs/${back.id}` });
  }, 900_000);
});
