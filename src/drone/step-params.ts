// What `cc-ci drone step` reads from its environment (docs/drone-ingest.md): the run's parameters,
// which serve put in the Drone build's query string and Drone hands to the step as variables,
// each checked as `cc-ci run` checks its arguments. The ingest secret is not among them: it is
// a Drone secret, read as config (runner.drone.ingestSecretFile or CCCI_INGEST_SECRET).
import { CcciError } from '../model/errors.js';
import type { RunRequest } from '../model/run.js';
import type { StageName } from '../model/stage.js';
import {
  parseStages,
  validateRecipeName,
  validateRef,
  validateRepoUrl,
  validateRunId,
  validateSha,
} from '../validate/input.js';

export interface StepParams extends Omit<RunRequest, 'pr'> {
  id: string;
  /** serve's base URL, where the run's files go. */
  serveUrl: string;
  /** DRONE_RUNNER_NAME (else DRONE_STAGE_MACHINE) and DRONE_BUILD_NUMBER, when Drone set them. */
  runner?: string;
  build?: string;
}

/** The build parameters, by their variable names. */
export const STEP_VARIABLES = [
  'CCCI_RUN_ID',
  'CCCI_RECIPE',
  'CCCI_REPO',
  'CCCI_REF',
  'CCCI_SHA',
  'CCCI_STAGES',
  'CCCI_KEEP',
  'CCCI_SERVE_URL',
] as const;

export function readStepParams(env: NodeJS.ProcessEnv): StepParams {
  const need = (name: (typeof STEP_VARIABLES)[number]) => {
    const value = env[name]?.trim();
    if (!value)
      throw new CcciError(
        'USAGE',
        `${name} is not set: cc-ci drone step runs as the step of a Drone build that serve started, ` +
          'whose parameters name the run (see docs/drone-ingest.md)',
      );
    return value;
  };
  // In the order a reader checks them: which run first.
  const id = validateRunId(need('CCCI_RUN_ID'));
  const recipe = validateRecipeName(need('CCCI_RECIPE'));
  const repo = validateRepoUrl(need('CCCI_REPO'));
  const sha = env.CCCI_SHA?.trim();
  const stages = env.CCCI_STAGES?.trim();
  // The runner host's name: the runner's own, or the stage's machine (what Drone shows).
  const runner = env.DRONE_RUNNER_NAME?.trim() || env.DRONE_STAGE_MACHINE?.trim();
  const build = env.DRONE_BUILD_NUMBER?.trim();
  return {
    id,
    recipe,
    repo,
    ref: validateRef(need('CCCI_REF')),
    ...(sha ? { sha: validateSha(sha) } : {}),
    stages: stages ? parseStages(stages) : ([] as StageName[]),
    keep: readKeep(env.CCCI_KEEP),
    serveUrl: serveUrl(need('CCCI_SERVE_URL')),
    ...(runner ? { runner } : {}),
    ...(build ? { build } : {}),
  };
}

function readKeep(value: string | undefined): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new CcciError('USAGE', `CCCI_KEEP: expected true or false, got ${JSON.stringify(value)}`);
}

function serveUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CcciError('USAGE', `CCCI_SERVE_URL: expected serve's URL like https://ci.example.org, got ${value}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search)
    throw new CcciError(
      'USAGE',
      `CCCI_SERVE_URL: expected an http(s) URL with no user and no query, like https://ci.example.org, got ${value}`,
    );
  return url.href;
}
