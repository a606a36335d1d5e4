import { describe, expect, it } from 'vitest';
import { judge } from '../../../src/docker/converge.js';
import type { ServiceState, TaskState } from '../../../src/docker/swarm-api.js';

const svc = (name: string, running: number, desired: number, updateState?: string): ServiceState => ({
  id: name,
  name: `st_${name}`,
  createdAt: '',
  labels: {},
  running,
  desired,
  updateState,
  template: 'v2',
});
const task = (
  service: string,
  state: string,
  error?: string,
  t = '2026-11-27T10:00:00Z',
  template = 'v2',
): TaskState => ({
  id: `${service}-${state}-${t}-${template}`,
  serviceId: service,
  state,
  desiredState: state === 'running' || state === 'starting' ? 'running' : 'shutdown',
  message: state,
  error,
  timestamp: t,
  template,
});
const running = (service: string, n = 1, template = 'v2') =>
  Array.from({ length: n }, (_, i) => task(service, 'running', undefined, `2026-11-27T10:00:1${i}Z`, template));

describe('convergence rule', () => {
  it('waits while no service exists', () => {
    expect(judge('st', [], [])).toMatchObject({ kind: 'waiting', summary: expect.stringContaining('no service') });
  });
  it('is converged when every service is at desired replicas with a settled update', () => {
    for (const state of [undefined, 'completed', 'rollback_completed']) {
      expect(judge('st', [svc('app', 1, 1, state), svc('db', 2, 2)], [...running('app'), ...running('db', 2)])).toEqual(
        { kind: 'converged' },
      );
    }
  });
  it('waits while an update is in flight even at N/N', () => {
    expect(judge('st', [svc('app', 1, 1, 'updating')], [])).toMatchObject({
      kind: 'waiting',
      summary: expect.stringContaining('update updating'),
    });
  });
  it('waits after a redeploy while the tasks running still carry the old template', () => {
    const j = judge('st', [svc('app', 1, 1)], running('app', 1, 'v1'));
    expect(j).toMatchObject({ kind: 'waiting', summary: 'service st_app 0/1 running (tasks: running)' });
    expect(judge('st', [svc('app', 1, 1)], [...running('app', 1, 'v1'), ...running('app', 1, 'v2')])).toEqual({
      kind: 'converged',
    });
  });
  it('fails on paused and rollback_paused, naming the service', () => {
    expect(judge('st', [svc('app', 1, 1, 'paused')], [])).toMatchObject({
      kind: 'failed',
      message: expect.stringContaining('service st_app did not converge: update paused'),
    });
    expect(judge('st', [svc('app', 0, 1, 'rollback_paused')], [])).toMatchObject({
      kind: 'failed',
      why: 'update-paused',
    });
  });
  it('gives up on a service whose tasks keep failing, quoting the last error', () => {
    const tasks = Array.from({ length: 6 }, (_, i) =>
      task('app', 'failed', `task: non-zero exit (${i})`, `2026-11-27T10:00:0${i}Z`),
    );
    expect(judge('st', [svc('app', 0, 1)], tasks)).toMatchObject({
      kind: 'failed',
      message: expect.stringContaining('non-zero exit (5)'),
    });
    expect(judge('st', [svc('app', 0, 1)], tasks)).toMatchObject({ why: 'tasks-failing', services: ['st_app'] });
  });
  it('does not hold old failures against a service that is now running', () => {
    const tasks = Array.from({ length: 8 }, (_, i) => task('app', 'failed', 'boom', `2026-11-27T10:00:0${i}Z`));
    expect(judge('st', [svc('app', 1, 1)], [...tasks, ...running('app')])).toEqual({ kind: 'converged' });
  });
  it('says which service it still waits for and in what task state', () => {
    const j = judge('st', [svc('app', 1, 1), svc('db', 0, 1)], [...running('app'), task('db', 'starting')]);
    expect(j).toMatchObject({ kind: 'waiting', summary: 'service st_db 0/1 running (tasks: starting)' });
  });
  it('counts failed tasks over the whole wait: swarm keeps only five old tasks', () => {
    const kept = Array.from({ length: 4 }, (_, i) =>
      task('app', 'failed', 'task: non-zero exit (1)', `2026-11-27T10:00:0${i}Z`),
    );
    expect(judge('st', [svc('app', 0, 1)], kept)).toMatchObject({ kind: 'waiting' });
    const seen = new Set(['app a', 'app b', 'app c', 'app d', 'app e', 'app f']);
    expect(judge('st', [svc('app', 0, 1)], kept, seen)).toMatchObject({
      kind: 'failed',
      message: expect.stringContaining('after 6 failed tasks'),
    });
  });
});
