// The PR reply as it moves, and the commit status of each state: an infrastructure error or a
// stop is never reported as the recipe's failure.
import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import type { RunRecord, StageRow } from '../../../src/model/run.js';
import { renderComment, statusFor } from '../../../src/report/pr-comment.js';

const base: RunRecord = {
  id: 'r1',
  recipe: 'custom-html',
  repo: 'http://forge/coop-cloud/custom-html.git',
  ref: 'refs/pull/3/head',
  pr: 3,
  stages: [],
  keep: false,
  trigger: { kind: 'forge', by: 'maintainer' },
  state: 'queued',
  createdAt: '2026-11-30T10:00:00Z',
};
const url = 'https://ci.example.org';
const sha = 'abcdef0123456789abcdef0123456789abcdef01';
const stages: StageRow[] = [
  { name: 'install', status: 'pass', durationMs: 14_000, checks: [] },
  {
    name: 'upgrade',
    status: 'fail',
    code: 'DATA_LOST',
    reason: 'marker survived the upgrade: lost',
    durationMs: 65_000,
    checks: [
      { name: 'seed marker', status: 'pass' },
      { name: 'marker survived the upgrade', status: 'fail', detail: 'after the upgrade the data marker was lost' },
    ],
  },
  { name: 'lint', status: 'fail', advisory: true, reason: 'R014', checks: [{ name: 'R014', status: 'fail' }] },
];

describe('the PR reply', () => {
  it('says queued with the place in the queue, and links the run', () => {
    const body = renderComment({ run: base, stages: [], publicUrl: url, queuePosition: 2, acceptedSha: sha });
    expect(body).toContain('[run r1](https://ci.example.org/runs/r1)');
    expect(body).toContain('queued — #2 in the queue');
    expect(body).toContain('`abcdef01`');
  });

  it('says running with the current stage', () => {
    expect(
      renderComment({
        run: { ...base, state: 'running', currentStage: 'upgrade' },
        stages: [],
        publicUrl: url,
        acceptedSha: sha,
      }),
    ).toContain('running — stage **upgrade**');
  });

  it('ends with the verdict, level, stage table, the failing check (not the advisory one) and the card', () => {
    const run: RunRecord = {
      ...base,
      state: 'failed',
      verdict: 'fail',
      level: 1,
      sha,
      startedAt: '2026-11-30T10:00:00Z',
      finishedAt: '2026-11-30T10:02:05Z',
    };
    const body = renderComment({ run, stages, publicUrl: url, acceptedSha: sha });
    expect(body).toContain('❌ failed · level **L1** · 2 min 5 s');
    expect(body).toContain(
      '> **upgrade › `marker survived the upgrade`**: `after the upgrade the data marker was lost`',
    );
    expect(body).toContain('| upgrade | ❌ fail | 1 min 5 s | `marker survived the upgrade: lost` |');
    expect(body).toContain('| lint | ❌ fail (advisory) |');
    expect(body).toContain('(https://ci.example.org/runs/r1/card.png)');
  });

  it('says superseded with a link to the run that replaced it, and cancelled without a card', () => {
    const superseded = renderComment({
      run: { ...base, state: 'superseded', supersededBy: 'r2' },
      stages: [],
      publicUrl: url,
      acceptedSha: sha,
    });
    expect(superseded).toContain('superseded by [run r2](https://ci.example.org/runs/r2)');
    const cancelled = renderComment({
      run: { ...base, state: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled from the dashboard' } },
      stages: [],
      publicUrl: url,
      acceptedSha: sha,
    });
    expect(cancelled).toContain('cancelled — `cancelled from the dashboard`');
    expect(cancelled).not.toContain('card.png');
  });

  it('names the commit it is pinned to, and says when --keep is switched off', () => {
    const body = renderComment({
      run: { ...base, state: 'passed', verdict: 'pass', level: 5, sha },
      stages: [],
      publicUrl: url,
      acceptedSha: sha,
      keepOff: true,
    });
    expect(body).toContain('custom-html at `abcdef01`');
    expect(body).not.toContain('moved');
    expect(body).toContain('keeping failed deployments is switched off');
  });
});

describe('text from the PR in the reply', () => {
  // A PR's own tests name their checks and write their failure messages; git and abra output in
  // an error message can quote the PR too. None of it may become markdown under the bot's name.
  const name = 'tests/run: **URGENT** [re-authenticate here](https://evil.example/login) @everyone';
  const detail = '<img src=https://evil.example/t.png> ![x](https://evil.example/x.png)';
  const breakOut = 'x` [y](https://evil.example/y) `` <b>z</b> | @org/team';
  const hostile: StageRow[] = [
    { name: 'install', status: 'pass', checks: [] },
    {
      name: 'recipe-local',
      status: 'fail',
      code: 'TESTS_FAILED',
      reason: `${name} ${detail}`,
      checks: [{ name, status: 'fail', detail: `${detail}\n# heading\n${breakOut}` }],
    },
    { name: 'lint', status: 'error', reason: breakOut, checks: [] },
  ];
  const finished = { sha, startedAt: '2026-11-30T10:00:00Z', finishedAt: '2026-11-30T10:02:05Z' };

  /** The reply as a forge renders it: GitHub-flavoured markdown to HTML. */
  const html = (body: string) => marked.parse(body, { gfm: true, async: false });
  /** The HTML with every code element taken out: what is left is what the markdown made. */
  const outsideCode = (page: string) => page.replace(/<code>[\s\S]*?<\/code>/g, '');

  it.each([
    ['failed', { state: 'failed', verdict: 'fail', level: 1 }],
    ['errored', { state: 'errored', verdict: 'error', error: { code: 'GIT_FAILED', message: `${name} ${detail}` } }],
    ['cancelled', { state: 'cancelled', error: { code: 'CANCELLED', message: `${breakOut} ${name}` } }],
  ] as const)('no link, image, HTML, heading or mention survives in a %s reply', (_state, fields) => {
    const run = { ...base, ...finished, ...fields } as RunRecord;
    const page = html(renderComment({ run, stages: hostile, publicUrl: url, acceptedSha: sha }));
    const made = outsideCode(page);
    expect(made).not.toContain('evil.example');
    expect(made).not.toMatch(/<h[1-6]|<b>|<strong>URGENT|<em>/);
    expect(made).not.toMatch(/@\w/);
    // cc-ci's own links and images only: the run page and its card.
    for (const m of page.matchAll(/<(?:a href|img src)="([^"]*)"/g))
      expect(m[1]).toMatch(/^https:\/\/ci\.example\.org\//);
    // The text is still there to read, as code.
    expect(page).toContain('@everyone');
    expect(page).toContain('evil.example');
  });

  it('says which stages were na, why, and whether each counted for the level', () => {
    const run: RunRecord = { ...base, state: 'passed', verdict: 'pass', level: 1, startedAt: base.createdAt };
    const naStages: StageRow[] = [
      { name: 'install', status: 'pass', checks: [] },
      { name: 'upgrade', status: 'na', reason: 'no release tag below the head', naBy: 'cc-ci', checks: [] },
      { name: 'recipe-local', status: 'na', reason: 'needs a mail server', naBy: 'recipe', checks: [] },
      { name: 'lint', status: 'na', reason: 'checked upstream', naBy: 'operator', checks: [] },
    ];
    const body = renderComment({ run, stages: naStages, publicUrl: url, acceptedSha: sha });
    expect(body).toContain('| upgrade | ➖ na |  | not counted (found at run time): `no release tag below the head` |');
    expect(body).toContain("| recipe-local | ➖ na |  | not counted (the recipe's own spec): `needs a mail server` |");
    expect(body).toContain("| lint | ➖ na |  | counts (cc-ci's spec): `checked upstream` |");
  });

  it('keeps the length caps', () => {
    const long = 'a'.repeat(1000);
    const run = { ...base, ...finished, state: 'errored', error: { code: 'GIT_FAILED', message: long } } as RunRecord;
    const body = renderComment({
      run,
      stages: [
        { name: 'install', status: 'fail', reason: long, checks: [{ name: long, status: 'fail', detail: long }] },
      ],
      publicUrl: url,
      acceptedSha: sha,
    });
    expect(Math.max(...body.split('\n').map((l) => l.length))).toBeLessThan(700);
    expect(body).toContain(`\`${'a'.repeat(299)}…\``);
    expect(body).toContain(`| \`${'a'.repeat(159)}…\` |`);
  });
});

describe('the commit status', () => {
  it('is pending, then success, failure or error; a stop or broken infrastructure is error, never failure', () => {
    expect(statusFor({ ...base, state: 'queued' }).state).toBe('pending');
    expect(statusFor({ ...base, state: 'running', currentStage: 'backup' })).toEqual({
      state: 'pending',
      description: 'running: backup',
    });
    expect(statusFor({ ...base, state: 'passed', level: 5 }).state).toBe('success');
    expect(statusFor({ ...base, state: 'failed', level: 0 }).state).toBe('failure');
    for (const state of ['errored', 'cancelled', 'superseded', 'interrupted'] as const)
      expect(statusFor({ ...base, state }).state).toBe('error');
    expect(
      statusFor({ ...base, state: 'errored', error: { code: 'DOCKER_FAILED', message: 'x' } }).description,
    ).toContain('not the recipe');
  });
});
