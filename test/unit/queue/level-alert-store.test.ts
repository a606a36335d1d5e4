// The level alerts' store (a real SQLite file): the standing a new default-branch run is compared
// with (the badge run that ended last before it and was not an `error`), the open alert, and the
// work left undone across a reopen of the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { RunStore, type RunEnd } from '../../../src/queue/store.js';

let dir: string;
let file: string;
let store: RunStore;
let minute = 0;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cc-ci-alert-store-'));
  file = join(dir, 'cc-ci.db');
  store = new RunStore(file);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function ran(id: string, end: RunEnd, over: Partial<TriggeredRequest> = {}): void {
  const at = new Date(Date.UTC(2026, 11, 1, 12, ++minute));
  store.insertRun(
    id,
    {
      recipe: 'custom-html',
      repo: 'https://git.test/c/custom-html.git',
      ref: 'main',
      stages: [],
      keep: false,
      trigger: { kind: 'push' },
      ...over,
    },
    at,
  );
  store.finishRun(id, end, at);
}

describe('previousStanding', () => {
  it('is the last default-branch run before this one that was no error; PR runs, other recipes do not count', () => {
    ran('a', { state: 'passed', verdict: 'pass', level: 5 });
    ran('b', { state: 'failed', verdict: 'fail', level: 2 });
    ran('c', { state: 'errored', verdict: 'error', level: 0, error: { code: 'DOCKER_FAILED', message: 'x' } });
    ran('pr', { state: 'passed', verdict: 'pass', level: 5 }, { pr: 4 });
    ran('other', { state: 'passed', verdict: 'pass', level: 5 }, { recipe: 'keycloak' });
    ran('d', { state: 'failed', verdict: 'fail', level: 1 });
    ran('e', { state: 'passed', verdict: 'pass', level: 5 });
    expect(store.previousStanding('a')).toBeUndefined();
    expect(store.previousStanding('b')).toEqual({ verdict: 'pass', level: 5 });
    expect(store.previousStanding('d')).toEqual({ verdict: 'fail', level: 2 });
    expect(store.previousStanding('e')).toEqual({ verdict: 'fail', level: 1 });
  });
});

describe('the open alert and the work left', () => {
  it('survive a reopen of the store; work is read in the order it was noted, once', () => {
    ran('a', { state: 'failed', verdict: 'fail', level: 2 });
    ran('b', { state: 'failed', verdict: 'fail', level: 1 });
    store.saveLevelAlert({
      recipe: 'custom-html',
      repo: 'coop-cloud/custom-html',
      issue: 7,
      baseline: { verdict: 'pass', level: 5 },
      runId: 'a',
    });
    store.queueAlertWork('b', 'custom-html');
    store.queueAlertWork('a', 'custom-html');
    store.queueAlertWork('b', 'custom-html');
    store.close();
    store = new RunStore(file);
    expect(store.levelAlert('custom-html')).toEqual({
      recipe: 'custom-html',
      repo: 'coop-cloud/custom-html',
      issue: 7,
      baseline: { verdict: 'pass', level: 5 },
      runId: 'a',
      backComment: undefined,
    });
    expect(store.alertWork('custom-html').map((w) => w.runId)).toEqual(['b', 'a']);
    store.alertWorkDone('b');
    expect(store.alertWork().map((w) => w.runId)).toEqual(['a']);
    store.forgetLevelAlert('custom-html');
    expect(store.levelAlert('custom-html')).toBeUndefined();
  });
});
