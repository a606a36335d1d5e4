// The runner repository's `.drone.yml` (`cc-ci drone pipeline`): one exec pipeline, run only by
// `custom` builds (the ones cc-ci creates through the API), whose one step runs `cc-ci drone step`
// on the runner host. The step reads the run's parameters from the build's parameters and the
// ingest secret from the repository's Drone secret `ccci_ingest_secret`, never from a parameter
// (parameters are visible to anyone who can see the build). Pure: the text only.
import { stringify } from 'yaml';
import { CcciError } from '../model/errors.js';

/** The Drone secret of the runner repository that holds runner.drone.ingestSecretFile's value. */
export const INGEST_SECRET_NAME = 'ccci_ingest_secret';
export const PIPELINE_NAME = 'cc-ci';
export const STEP_NAME = 'run';

export interface PipelineOptions {
  /** cc-ci on the runner hosts: a name on their PATH or an absolute path (default `cc-ci`). */
  ccCi?: string;
  /** The runner host's cc-ci.yml, when it is not found through CCCI_CONFIG. */
  config?: string;
}

// The step's command is a shell line (Drone's exec runner runs a script): only plain paths go in.
const plainPath = /^[A-Za-z0-9_./+-]+$/;

export function droneStepCommand(opts: PipelineOptions = {}): string {
  const ccCi = opts.ccCi ?? 'cc-ci';
  for (const [flag, value] of [
    ['--cc-ci', ccCi],
    ['--config', opts.config],
  ] as const) {
    if (value !== undefined && (!plainPath.test(value) || value.startsWith('-')))
      throw new CcciError(
        'USAGE',
        `${flag} ${JSON.stringify(value)}: give a plain path (letters, digits, _ . / + -), it goes into a shell line`,
      );
  }
  // exec: the step's shell becomes cc-ci, so Drone's kill on a cancel reaches cc-ci itself.
  return ['exec', ccCi, 'drone', 'step', ...(opts.config ? ['--config', opts.config] : [])].join(' ');
}

export function dronePipeline(opts: PipelineOptions = {}): string {
  const pipeline = {
    kind: 'pipeline',
    type: 'exec',
    name: PIPELINE_NAME,
    platform: { os: 'linux', arch: 'amd64' },
    // The step needs nothing of the runner repository: no clone, so runner hosts need no git access to it.
    clone: { disable: true },
    trigger: { event: ['custom'] },
    steps: [
      {
        name: STEP_NAME,
        commands: [droneStepCommand(opts)],
        environment: { CCCI_INGEST_SECRET: { from_secret: INGEST_SECRET_NAME } },
      },
    ],
  };
  return (
    '# The runner repository’s .drone.yml for cc-ci (printed by `cc-ci drone pipeline`; docs/drone.md).\n' +
    '# cc-ci starts each run as a custom build of this repository; its parameters (CCCI_RUN_ID, CCCI_RECIPE,\n' +
    `# …) become the step's environment. Add the repository secret ${INGEST_SECRET_NAME} in Drone.\n` +
    stringify(pipeline)
  );
}
