// Recovery at start-up against a fake executor: every run the store still calls running ends
// `interrupted`; a surviving one is stopped with the reason and awaited (killed after the
// budget); stage rows come back from the run's events, and the apps it claimed are reaped.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/create-logger.js';
import { readStopReason } from '../../../src/model/run-folder.js';
import type { TriggeredRequest } from '../../../src/model/run.js';
import { recoverRuns } from '../../../src/queue/recover.js';
import { RunStore } from '../../../src/queue/store.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { FakeExecutor } from '../../support/fake-executor.js';

const req: TriggeredRequest = {
  recipe: 'custom-html',
  repo: 'file:///srv/custom-html',
  ref: 'main',
  stages: [],
  keep: false,
  trigger: { kind: 'api' },
};
const claim = (domain: string) => ({ type: 'app-claimed', domain, stack: domain.replace(/\./g, '_'), role: 'install' });
const installFailed = {
  type: 'stage-finished',
  stage: 'install',
  result: { name: 'install', status: 'fail', code: 'CHECK_FAILED', reason: 'health: 503', checks: [] },
};

function setup() {
  const storeDir = mkdtempSync(join(tmpdir(), 'cc-ci-recover-'));
  const store = new RunStore(join(storeDir, 'cc-ci.db'));
  const executor = new FakeExecutor(storeDir);
  const reaped: string[][] = [];
  const adopted: string[] = [];
  const running = (id: string, stage?: string) => {
    store.insertRun(id, req);
    store.markRunning(id, 4242);
    if (stage) store.setCurrentStage(id, stage);
  };
  const recover = (budgetMs = 5_000) =>
    recoverRuns({
      store,
      executor,
      log: createLogger({ secrets: new SecretRegistry(), console: false }).log,
      teardownBudgetMs: budgetMs,
      reapOrphans: async (d) => {
        reaped.push(d);
      },
      adopt: (run) => {
        adopted.push(run.id);
      },
    });
  return { store, executor, reaped, adopted, running, recover };
}

describe('recoverRuns', () => {
  it('marks a run whose child is gone interrupted, with its stage rows, and reaps what it claimed', async () => {
    const { store, executor, reaped, running, recover } = setup();
    running('gone', 'install');
    store.insertRun('queued', req);
    executor.survivors.set('gone', { alive: false, events: [claim('cust-aaaaaa.ci.test'), installFailed] });
    expect(await recover()).toEqual(['gone']);
    expect(store.getRun('gone')).toMatchObject({
      state: 'interrupted',
      error: { code: 'INTERRUPTED', message: 'the server stopped during install; its child was already gone' },
    });
    expect(store.stagesOf('gone')[0]).toMatchObject({ name: 'install', status: 'fail' });
    expect(store.getRun('queued')?.state).toBe('queued');
    expect(reaped).toEqual([['cust-aaaaaa.ci.test']]);
    expect(executor.reattached.get('gone')!.signals).toEqual([]);
  });

  it('stops a surviving run with the reason and awaits its teardown', async () => {
    const { store, executor, reaped, running, recover } = setup();
    running('alive');
    executor.survivors.set('alive', { alive: true, events: [claim('cust-bbbbbb.ci.test')] });
    await recover();
    const execution = executor.reattached.get('alive')!;
    expect(execution.signals).toEqual(['SIGTERM']);
    expect(readStopReason(execution.files)).toEqual({
      code: 'CANCELLED',
      message: 'the server restarted while the run was going',
    });
    expect(store.getRun('alive')).toMatchObject({
      state: 'interrupted',
      error: { message: 'the server stopped while it ran; it was stopped and tore down' },
    });
    expect(reaped).toEqual([['cust-bbbbbb.ci.test']]);
  });

  it('kills a surviving run that does not tear down within the budget', async () => {
    const { store, executor, running, recover } = setup();
    running('stubborn', 'upgrade');
    executor.survivors.set('stubborn', { alive: true, events: [], onStop: 'ignore' });
    await recover(100);
    expect(executor.reattached.get('stubborn')!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(store.getRun('stubborn')?.error?.message).toBe(
      'the server stopped during upgrade; it did not stop in time and was killed',
    );
  });

  it('follows again a run that goes on without the server (a remote build) instead of stopping it', async () => {
    const { store, executor, adopted, running, recover } = setup();
    running('remote', 'install');
    running('local', 'install');
    executor.survivors.set('remote', { alive: true, detached: true, events: [claim('cust-cccccc.ci.test')] });
    executor.survivors.set('local', { alive: true, events: [] });
    expect(await recover()).toEqual(['local']);
    expect(adopted).toEqual(['remote']);
    expect(executor.reattached.get('remote')!.signals).toEqual([]);
    expect(store.getRun('remote')?.state).toBe('running');
    expect(store.getRun('local')?.state).toBe('interrupted');
  });
});
