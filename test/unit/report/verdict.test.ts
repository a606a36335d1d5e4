import { describe, expect, it } from 'vitest';
import type { NaBy, StageName, StageStatus } from '../../../src/model/stage.js';
import { computeLevel, computeVerdict, exitCodeForVerdict, naNote } from '../../../src/report/verdict.js';

const run = (statuses: Partial<Record<StageName, StageStatus>>) =>
  Object.entries(statuses).map(([name, status]) => ({ name: name as StageName, status: status as StageStatus }));

/** Every stage passes except the na ones, each said by `by`. */
const withNa = (na: StageName[], by: NaBy | undefined) =>
  run({ install: 'pass', upgrade: 'pass', backup: 'pass', 'recipe-local': 'pass', lint: 'pass' }).map((s) =>
    na.includes(s.name) ? { ...s, status: 'na' as const, naBy: by } : s,
  );

describe('level', () => {
  it('counts rungs while each rung and all below pass', () => {
    expect(
      computeLevel(run({ install: 'pass', upgrade: 'pass', backup: 'pass', 'recipe-local': 'pass', lint: 'pass' })),
    ).toBe(5);
    expect(
      computeLevel(
        withNa(['upgrade'], 'operator').map((s) => (s.name === 'recipe-local' ? { ...s, status: 'fail' as const } : s)),
      ),
    ).toBe(3);
    expect(computeLevel(run({ install: 'pass', upgrade: 'skip', backup: 'pass' }))).toBe(1);
    expect(computeLevel(run({ install: 'fail', upgrade: 'pass' }))).toBe(0);
    expect(computeLevel(run({ install: 'error' }))).toBe(0);
    expect(computeLevel(run({ install: 'pass' }))).toBe(1);
  });
  it("climbs past an na only when the operator's spec declared it", () => {
    expect(computeLevel(withNa(['recipe-local'], 'operator'))).toBe(5);
    expect(computeLevel(withNa(['lint'], 'operator'))).toBe(5);
  });
  it("stops below an na the recipe's own spec declared, or that cc-ci found at run time", () => {
    expect(computeLevel(withNa(['recipe-local'], 'recipe'))).toBe(3);
    expect(computeLevel(withNa(['lint'], 'recipe'))).toBe(4);
    expect(computeLevel(withNa(['upgrade'], 'cc-ci'))).toBe(1);
    expect(computeLevel(withNa(['backup'], 'cc-ci'))).toBe(2);
    // An na whose author is not known (results from before naBy) does not climb either.
    expect(computeLevel(withNa(['backup'], undefined))).toBe(2);
  });
  it('says for each na whether it counted and who said so', () => {
    expect(naNote({ status: 'na', naBy: 'operator' })).toBe("counts (cc-ci's spec)");
    expect(naNote({ status: 'na', naBy: 'recipe' })).toBe("not counted (the recipe's own spec)");
    expect(naNote({ status: 'na', naBy: 'cc-ci' })).toBe('not counted (found at run time)');
    expect(naNote({ status: 'pass' })).toBeUndefined();
  });
});

describe('verdict', () => {
  it('passes when every stage that ran passed', () => {
    expect(computeVerdict(run({ install: 'pass', upgrade: 'skip', backup: 'na' }), true)).toBe('pass');
  });
  it('fails when the recipe failed a stage, even beside an infrastructure error', () => {
    expect(computeVerdict(run({ install: 'fail', upgrade: 'error' }), true)).toBe('fail');
  });
  it('is error when only infrastructure broke, never fail', () => {
    expect(computeVerdict(run({ install: 'error', upgrade: 'skip' }), true)).toBe('error');
  });
  it('is pass when nothing failed, e.g. every stage na or only an advisory lint failure', () => {
    expect(computeVerdict(run({ install: 'na', upgrade: 'skip' }), true)).toBe('pass');
    expect(computeVerdict([{ status: 'pass' }, { status: 'fail', advisory: true }], true)).toBe('pass');
    expect(computeVerdict([{ status: 'pass' }, { status: 'fail', advisory: false }], true)).toBe('fail');
  });
  it('is error when teardown left something, whatever the stages said', () => {
    expect(computeVerdict(run({ install: 'pass' }), false)).toBe('error');
  });
  it('maps to exit codes 0, 1, 3', () => {
    expect([exitCodeForVerdict('pass'), exitCodeForVerdict('fail'), exitCodeForVerdict('error')]).toEqual([0, 1, 3]);
  });
});
