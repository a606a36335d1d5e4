// The retention rule: which finished runs lose their folder, given the rows and the time.
import { describe, expect, it } from 'vitest';
import { isBranchRun, runsToPrune, type RetentionRow } from '../../../src/model/retention.js';

const now = new Date('2026-06-01T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();

function row(id: string, ageDays: number, over: Partial<RetentionRow> = {}): RetentionRow {
  return {
    id,
    recipe: 'custom-html',
    ref: 'refs/pull/7/head',
    pr: 7,
    state: 'passed',
    createdAt: daysAgo(ageDays),
    finishedAt: daysAgo(ageDays),
    ...over,
  };
}

describe('runsToPrune', () => {
  it('prunes finished runs older than the days, keeps the younger ones', () => {
    const rows = [row('old', 40), row('young', 10), row('edge', 29.9)];
    expect(runsToPrune(rows, now, { days: 30, keepPerRecipe: 0 })).toEqual(['old']);
  });

  it('keeps the newest keepPerRecipe runs of each recipe, however old', () => {
    const rows = [
      row('a1', 50),
      row('a2', 45),
      row('a3', 40),
      row('b0', 65, { recipe: 'keycloak' }),
      row('b1', 60, { recipe: 'keycloak' }),
      row('b2', 55, { recipe: 'keycloak' }),
    ];
    expect(runsToPrune(rows, now, { days: 30, keepPerRecipe: 2 })).toEqual(['b0', 'a1']);
  });

  it("always keeps each recipe's latest finished branch run", () => {
    const rows = [
      row('main-old', 90, { ref: 'main', pr: undefined }),
      row('main-latest', 80, { ref: 'main', pr: undefined, state: 'failed' }),
      row('pr-newer', 70),
      row('main-running', 1, { ref: 'main', pr: undefined, state: 'running', finishedAt: undefined }),
    ];
    expect(runsToPrune(rows, now, { days: 30, keepPerRecipe: 0 })).toEqual(['main-old', 'pr-newer']);
  });

  it('never prunes a queued or running run', () => {
    const rows = [
      row('queued', 100, { state: 'queued', finishedAt: undefined }),
      row('running', 100, { state: 'running', finishedAt: undefined }),
    ];
    expect(runsToPrune(rows, now, { days: 1, keepPerRecipe: 0 })).toEqual([]);
  });

  it('counts the age from the end of the run', () => {
    const rows = [row('long', 40, { finishedAt: daysAgo(5) })];
    expect(runsToPrune(rows, now, { days: 30, keepPerRecipe: 0 })).toEqual([]);
  });
});

describe('isBranchRun', () => {
  it('is a run with no PR number and no refs/pull/ ref', () => {
    expect(isBranchRun(row('x', 1, { ref: 'main', pr: undefined }))).toBe(true);
    expect(isBranchRun(row('x', 1, { ref: 'refs/pull/3/head', pr: undefined }))).toBe(false);
    expect(isBranchRun(row('x', 1, { ref: 'main', pr: 3 }))).toBe(false);
  });
});
