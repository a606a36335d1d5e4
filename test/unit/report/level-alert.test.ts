// The level-change alert rule: a drop opens one issue (the failing stage, the check's message and
// the run link in it), a further change while it is open updates it, the recipe back at its level
// closes it, and an `error` never opens, updates or closes one. Untrusted text is inline code.
import { describe, expect, it } from 'vitest';
import type { StageRow } from '../../../src/model/run.js';
import { decideLevelAlert, isWorse, type AlertRun, type LevelAlertInput } from '../../../src/report/level-alert.js';

const URL = 'https://ci.example.org';
const SHA = 'b22d2e6e7772a8b03224fdb54671781b93c55326';

const upgradeFails: StageRow[] = [
  { name: 'install', status: 'pass', checks: [{ name: 'health GET /', status: 'pass' }] },
  {
    name: 'upgrade',
    status: 'fail',
    code: 'CHECK_FAILED',
    reason: 'marker survived failed',
    checks: [
      { name: 'version label moved', status: 'pass' },
      { name: 'marker survived', status: 'fail', detail: 'GET /marker -> 404 after the upgrade to 1.1.0' },
    ],
  },
  { name: 'lint', status: 'fail', advisory: true, checks: [{ name: 'R014', status: 'fail', detail: 'long' }] },
];

const run = (over: Partial<AlertRun> = {}): AlertRun => ({
  id: '20261201T030000Z-a1b2',
  verdict: 'pass',
  level: 5,
  sha: SHA,
  stages: [],
  ...over,
});
const decide = (over: Partial<LevelAlertInput>) =>
  decideLevelAlert({ recipe: 'custom-html', run: run(), publicUrl: URL, ...over });

describe('decideLevelAlert', () => {
  it('opens one issue when the level drops: the failing stage, the check and its message, the run link', () => {
    const alert = decide({
      run: run({ verdict: 'fail', level: 3, stages: upgradeFails }),
      previous: { verdict: 'pass', level: 5 },
    });
    expect(alert).toEqual({
      action: 'open',
      title: 'cc-ci: custom-html dropped from L5 to L3',
      baseline: { verdict: 'pass', level: 5 },
      body: [
        "**cc-ci**: custom-html's default branch at `b22d2e6e` is now **fail L3**, down from **pass L5**. " +
          '[Run 20261201T030000Z-a1b2](https://ci.example.org/runs/20261201T030000Z-a1b2)',
        '',
        'Failing stage: **upgrade** › `marker survived`',
        '',
        '> `GET /marker -> 404 after the upgrade to 1.1.0`',
        '',
        'cc-ci updates this issue after each default-branch run and closes it when custom-html is back at ' +
          'pass L5 or better.',
      ].join('\n'),
    });
  });

  it('opens one when a pass becomes a fail at the same level', () => {
    const alert = decide({ run: run({ verdict: 'fail', level: 2 }), previous: { verdict: 'pass', level: 2 } });
    expect(alert).toMatchObject({ action: 'open', title: 'cc-ci: custom-html fails at L2, passed at L2 before' });
  });

  it('does nothing when nothing dropped, for the first run, and for an error', () => {
    expect(decide({ run: run({ level: 5 }), previous: { verdict: 'pass', level: 4 } })).toMatchObject({
      action: 'nothing',
      why: 'pass L5 is no worse than pass L4 before',
    });
    expect(decide({ run: run({ verdict: 'fail', level: 2 }), previous: { verdict: 'fail', level: 2 } })).toMatchObject({
      action: 'nothing',
    });
    expect(decide({ run: run({ verdict: 'fail', level: 0 }) })).toMatchObject({
      action: 'nothing',
      why: expect.stringMatching(/first default-branch run/),
    });
    const error = run({ verdict: 'error', level: undefined });
    expect(decide({ run: error, previous: { verdict: 'pass', level: 5 } })).toMatchObject({
      action: 'nothing',
      why: expect.stringMatching(/is an error: cc-ci's or the host's/),
    });
  });

  it('updates the open issue on a further failure, keeping the level it dropped from', () => {
    const open = { baseline: { verdict: 'pass' as const, level: 5 } };
    const again = decide({ run: run({ id: 'r2', verdict: 'fail', level: 3, stages: upgradeFails }), open });
    expect(again).toMatchObject({ action: 'update', title: 'cc-ci: custom-html dropped from L5 to L3' });
    expect(again.action === 'update' && again.body).toContain('[Run r2](https://ci.example.org/runs/r2)');
    const lower = decide({ run: run({ verdict: 'fail', level: 1 }), open });
    expect(lower).toMatchObject({ action: 'update', title: 'cc-ci: custom-html dropped from L5 to L1' });
    const partly = decide({ run: run({ verdict: 'pass', level: 4 }), open });
    expect(partly).toMatchObject({
      action: 'update',
      title: 'cc-ci: custom-html dropped from L5 to L4',
      baseline: { verdict: 'pass', level: 5 },
    });
  });

  it('closes the open issue with a comment when the recipe is back at its level, or above', () => {
    const open = { baseline: { verdict: 'pass' as const, level: 4 } };
    for (const level of [4, 5]) {
      expect(decide({ run: run({ id: 'r9', level, sha: undefined }), open })).toEqual({
        action: 'close',
        comment:
          `**cc-ci**: custom-html is back: pass L${level} (it was pass L4 before the drop). ` +
          '[Run r9](https://ci.example.org/runs/r9)',
      });
    }
  });

  it('leaves the open issue alone on an error', () => {
    const open = { baseline: { verdict: 'pass' as const, level: 5 } };
    expect(decide({ run: run({ verdict: 'error', level: 0 }), open })).toMatchObject({ action: 'nothing' });
  });

  it("quotes the check's words as inline code: no link, mention or HTML of theirs is rendered", () => {
    const hostile: StageRow[] = [
      {
        name: 'recipe-local',
        status: 'fail',
        checks: [{ name: '[click](https://evil.example) @admin', status: 'fail', detail: '<img src=x> `x`\n# big' }],
      },
    ];
    const alert = decide({
      run: run({ verdict: 'fail', level: 3, stages: hostile }),
      previous: { verdict: 'pass', level: 5 },
    });
    const body = alert.action === 'open' ? alert.body : '';
    expect(body).toContain('Failing stage: **recipe-local** › `[click](https://evil.example) @admin`');
    expect(body).toContain('> ``<img src=x> `x` # big``');
  });
});

describe('isWorse', () => {
  it('is a lower level, or a fail at the same level as a pass; a missing level is L0', () => {
    expect(isWorse({ verdict: 'pass', level: 3 }, { verdict: 'pass', level: 4 })).toBe(true);
    expect(isWorse({ verdict: 'pass', level: 4 }, { verdict: 'fail', level: 3 })).toBe(false);
    expect(isWorse({ verdict: 'fail', level: 4 }, { verdict: 'pass', level: 4 })).toBe(true);
    expect(isWorse({ verdict: 'pass', level: 4 }, { verdict: 'fail', level: 4 })).toBe(false);
    expect(isWorse({ verdict: 'fail' }, { verdict: 'pass', level: 0 })).toBe(true);
    expect(isWorse({ verdict: 'fail' }, { verdict: 'fail', level: 0 })).toBe(false);
  });
});
