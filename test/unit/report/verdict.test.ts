import { describe, expect, it } from 'vitest';
import type { StageName, StageStatus } from '../../../src/model/stage.js';
import { computeLevel, computeVerdict, exitCodeForVerdict } from '../../../src/report/verdict.js';

const run = (statuses: Partial<Record<StageName, StageStatus>>) =>
  Object.entries(statuses).map(([name, status]) => ({ name: name as StageName, status: status as StageStatus }));

describe('level', () => {
  it('counts rungs while each rung and all below are pass or na', () => {
    expect(
      computeLevel(run({ install: 'pass', upgrade: 'pass', backup: 'pass', 'recipe-local': 'pass', lint: 'pass' })),
    ).toBe(5);
    expect(
      computeLevel(run({ install: 'pass', upgrade: 'na', backup: 'pass', 'recipe-local': 'fail', lint: 'pass' })),
    ).toBe(3);
    expect(computeLevel(run({ install: 'pass', upgrade: 'skip', backup: 'pass' }))).toBe(1);
    expect(computeLevel(run({ install: 'fail', upgrade: 'pass' }))).toBe(0);
    expect(computeLevel(run({ install: 'error' }))).toBe(0);
    expect(computeLevel(run({ install: 'pass' }))).toBe(1);
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
