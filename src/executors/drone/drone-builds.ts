// What the drone executor needs of Drone: custom builds of the runner repository, created with
// the run's parameters, read back, cancelled. The REST client in src/drone/ implements it; the
// executor never sees HTTP. The parameters a build gets are the run's, and nothing secret: Drone
// shows a build's parameters to anyone who can see the build.
import type { RunRecord } from '../../model/run.js';
import type { StageName } from '../../model/stage.js';

/** A build as the executor follows it. */
export interface DroneBuild {
  number: number;
  /** Drone's status word (pending, running, success, failure, killed, error, …). */
  status: string;
  /** Drone is done with it (§D.3 IsDone): no step will run any more. */
  done: boolean;
  /** The runner host its stage ran on (`stages[].machine`), once one took it. */
  machine?: string;
  /** The build's page on Drone, for the operator. */
  link?: string;
}

export interface DroneBuilds {
  /**
   * Creates a `custom` build with these parameters (in the query string, with an empty body) and
   * answers its number. Never retried: a retried create would start a second build.
   */
  create(params: Record<string, string>): Promise<number>;
  /** The build, or undefined when Drone does not know it (404). Throws when Drone does not answer. */
  get(number: number): Promise<DroneBuild | undefined>;
  /** Cancels the build (Drone kills its step). */
  cancel(number: number): Promise<void>;
}

/**
 * The build's parameters: what `cc-ci drone step` on the runner host needs to run the run and send
 * it back (`serveUrl`: where serve's ingest route is). The ingest credential is not among them.
 * A run that names no stages gets serve's `runner.stages` (`defaultStages`): the runner host's
 * own config would otherwise decide them, unlike a local run, whose child reads serve's config.
 */
export function buildParams(
  run: RunRecord,
  serveUrl: string,
  defaultStages: readonly StageName[] = [],
): Record<string, string> {
  return {
    CCCI_RUN_ID: run.id,
    CCCI_RECIPE: run.recipe,
    CCCI_REPO: run.repo,
    CCCI_REF: run.ref,
    ...(run.sha ? { CCCI_SHA: run.sha } : {}),
    CCCI_STAGES: (run.stages.length > 0 ? run.stages : defaultStages).join(','),
    CCCI_KEEP: run.keep ? '1' : '0',
    CCCI_SERVE_URL: serveUrl,
  };
}
