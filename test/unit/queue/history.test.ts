// A recipe's history from a real SQLite file: only its badge runs (no PR, a verdict) of the
// window, oldest first, the newest when more ran than the cap; read through the partial index
// runs_badge_history (the query plan says so).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HISTORY_MAX_POINTS, historySince } from '../../../src/model/history.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { HISTORY_SQL, RunStore, type RunEnd } from '../../../src/queue/store.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-01T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * DAY);

let dir: string;
let store: RunStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cc-ci-history-'));
  store = new RunStore(join(dir, 'cc-ci.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const req = (over: Partial<TriggeredRequest> = {}): TriggeredRequest => ({
  recipe: 'custom-html',
  repo: 'https://git.example.org/coop-cloud/custom-html.git',
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind: 'api' },
  ...over,
});

function ran(id: string, end: RunEnd, finished: Date, over: Partial<TriggeredRequest> = {}): void {
  store.insertRun(id, req(over), new Date(finished.getTime() - 60_000));
  store.markRunning(id, 1, new Date(finished.getTime() - 59_000));
  store.finishRun(id, end, finished);
}

describe('RunStore.history', () => {
  it('answers the badge runs of the window, oldest first, with verdict, level and commit', () => {
    ran('old', { state: 'passed', verdict: 'pass', level: 5 }, daysAgo(91));
    ran('b1', { state: 'passed', verdict: 'pass', level: 5, sha: 'a'.repeat(40) }, daysAgo(60));
    ran('pr', { state: 'failed', verdict: 'fail', level: 1 }, daysAgo(50), { pr: 7, ref: 'refs/pull/7/head' });
    ran('b2', { state: 'failed', verdict: 'fail', level: 2 }, daysAgo(30));
    ran('other', { state: 'passed', verdict: 'pass', level: 4 }, daysAgo(20), { recipe: 'keycloak' });
    ran('b3', { state: 'errored', verdict: 'error', error: { code: 'DOCKER_FAILED', message: 'gone' } }, daysAgo(10));
    // Superseded without a verdict: never a badge run.
    ran('gone', { state: 'superseded', supersededBy: 'b4' }, daysAgo(5));
    store.insertRun('queued', req(), daysAgo(1));

    expect(store.history('custom-html', historySince(NOW))).toEqual([
      { runId: 'b1', finishedAt: daysAgo(60).toISOString(), verdict: 'pass', level: 5, sha: 'a'.repeat(40) },
      { runId: 'b2', finishedAt: daysAgo(30).toISOString(), verdict: 'fail', level: 2 },
      { runId: 'b3', finishedAt: daysAgo(10).toISOString(), verdict: 'error' },
    ]);
    // The same rule as the badge's: the last point is the badge run.
    expect(store.recipe('custom-html').badge?.id).toBe('b3');
    expect(store.history('keycloak', historySince(NOW)).map((p) => p.runId)).toEqual(['other']);
    expect(store.history('nextcloud', historySince(NOW))).toEqual([]);
  });

  it('keeps the newest when more ran than the cap, and never answers more than HISTORY_MAX_POINTS', () => {
    store.bulk(() => {
      for (let i = 0; i < HISTORY_MAX_POINTS + 20; i++)
        ran(`r${String(i).padStart(4, '0')}`, { state: 'passed', verdict: 'pass', level: i % 6 }, daysAgo(80 - i / 10));
    });
    const all = store.history('custom-html', historySince(NOW));
    expect(all).toHaveLength(HISTORY_MAX_POINTS);
    expect(all[0]!.runId).toBe('r0020');
    expect(all.at(-1)!.runId).toBe(`r0${HISTORY_MAX_POINTS + 19}`);
    expect(store.history('custom-html', historySince(NOW), 10_000)).toHaveLength(HISTORY_MAX_POINTS);
    expect(store.history('custom-html', historySince(NOW), 3).map((p) => p.runId)).toEqual([
      `r0${HISTORY_MAX_POINTS + 17}`,
      `r0${HISTORY_MAX_POINTS + 18}`,
      `r0${HISTORY_MAX_POINTS + 19}`,
    ]);
  });

  it('reads through the partial index runs_badge_history', () => {
    const db = new Database(join(dir, 'cc-ci.db'), { readonly: true });
    try {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${HISTORY_SQL}`)
        .all('custom-html', daysAgo(90).toISOString(), 10) as Array<{ detail: string }>;
      const details = plan.map((p) => p.detail).join('\n');
      expect(details).toMatch(/SEARCH runs USING COVERING INDEX runs_badge_history \(recipe=\? AND finished_at>\?\)/);
      // Ordered by the index itself: no sort of the recipe's whole history.
      expect(details).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });
});
