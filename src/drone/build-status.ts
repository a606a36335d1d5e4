// What a Drone build's status means, as Drone itself decides it (interfaces §D.3, core/status.go
// IsDone and IsFailed), and which runner host took the build (a stage's `machine`). Pure.
import type { DroneBuild } from './types.js';

/** Every status Drone gives a build, stage or step (core/status.go). */
export const droneStatuses = [
  'skipped',
  'blocked',
  'declined',
  'waiting_on_dependencies',
  'pending',
  'running',
  'success',
  'failure',
  'killed',
  'error',
] as const;
export type DroneStatus = (typeof droneStatuses)[number];

const notDone: readonly string[] = ['waiting_on_dependencies', 'pending', 'running', 'blocked'];
const failed: readonly string[] = ['failure', 'killed', 'error'];

/**
 * Whether the status is final. As Drone's IsDone: anything but waiting, pending, running and
 * blocked is done, a status this list does not know included (a newer Drone's).
 */
export function isDone(status: string): boolean {
  return !notDone.includes(status);
}

/** Whether the status is a failed end: failure, killed or error (Drone's IsFailed). */
export function isFailed(status: string): boolean {
  return failed.includes(status);
}

export type BuildState =
  | { done: false; status: string }
  /** `failed`: Drone says the build failed (the run's own events say whose fault). */
  | { done: true; failed: boolean; status: string; error?: string };

/** The build's state as the executor needs it; Drone's `error` text when it gave one. */
export function buildState(build: Pick<DroneBuild, 'status' | 'error'>): BuildState {
  if (!isDone(build.status)) return { done: false, status: build.status };
  return {
    done: true,
    failed: isFailed(build.status),
    status: build.status,
    ...(build.error ? { error: build.error } : {}),
  };
}

/**
 * The runner host the build runs (or ran) on: the `machine` of its first stage a runner took.
 * Undefined while no runner has taken it (pending).
 */
export function runnerMachine(build: Pick<DroneBuild, 'stages'>): string | undefined {
  return build.stages?.find((stage) => stage.machine)?.machine || undefined;
}
