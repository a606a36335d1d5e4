// What a Drone build's status means (interfaces §D.3, Drone's core/status.go IsDone and IsFailed),
// and which runner host took it.
import { describe, expect, it } from 'vitest';
import { buildState, droneStatuses, isDone, isFailed, runnerMachine } from '../../../src/drone/build-status.js';
import { buildSchema } from '../../../src/drone/types.js';

describe('Drone build status', () => {
  it('done and failed as Drone decides, every status', () => {
    const table = Object.fromEntries(droneStatuses.map((s) => [s, [isDone(s), isFailed(s)]]));
    expect(table).toEqual({
      skipped: [true, false],
      blocked: [false, false],
      declined: [true, false],
      waiting_on_dependencies: [false, false],
      pending: [false, false],
      running: [false, false],
      success: [true, false],
      failure: [true, true],
      killed: [true, true],
      error: [true, true],
    });
    // A status Drone does not have today is done (IsDone's default), and not failed.
    expect([isDone('something_new'), isFailed('something_new')]).toEqual([true, false]);
  });

  it('the build state carries Drone’s error text; the runner host is the first stage’s machine', () => {
    expect(buildState({ status: 'running' })).toEqual({ done: false, status: 'running' });
    expect(buildState({ status: 'error', error: 'yaml: line 3' })).toEqual({
      done: true,
      failed: true,
      status: 'error',
      error: 'yaml: line 3',
    });
    expect(buildState({ status: 'success', error: '' })).toEqual({ done: true, failed: false, status: 'success' });
    // Drone's JSON for a build no runner took yet: a stage with an empty machine and no steps.
    const pending = buildSchema.parse({
      number: 3,
      status: 'pending',
      stages: [{ number: 1, name: 'cc-ci', status: 'pending' }],
    });
    expect(runnerMachine(pending)).toBeUndefined();
    expect(pending.stages[0]?.steps).toEqual([]);
    const taken = buildSchema.parse({
      number: 3,
      status: 'running',
      stages: [{ number: 1, name: 'cc-ci', status: 'running', machine: 'runner-2', steps: [] }],
    });
    expect(runnerMachine(taken)).toBe('runner-2');
    expect(runnerMachine(buildSchema.parse({ number: 4, status: 'pending' }))).toBeUndefined();
  });
});
