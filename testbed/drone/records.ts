// The stand-in Drone's records, with the JSON field names of Drone's core/build.go, core/stage.go
// and core/step.go (interfaces §D.3), and their rendering. Times are Unix seconds, as Drone's.

export interface LogLine {
  pos: number;
  out: string;
  time: number;
}

export interface StepRec {
  id: number;
  stage_id: number;
  number: number;
  name: string;
  status: string;
  error: string;
  errignore: boolean;
  exit_code: number;
  started: number;
  stopped: number;
  version: number;
  /** Not in Drone's JSON: stored once the step is over (Drone stores a step's log when it ends, §D.4). */
  log?: LogLine[];
}

export interface StageRec {
  id: number;
  repo_id: number;
  build_id: number;
  number: number;
  name: string;
  kind: string;
  type: string;
  status: string;
  error: string;
  errignore: boolean;
  exit_code: number;
  machine: string;
  os: string;
  arch: string;
  variant: string;
  kernel: string;
  limit: number;
  throttle: number;
  started: number;
  stopped: number;
  created: number;
  updated: number;
  version: number;
  on_success: boolean;
  on_failure: boolean;
  depends_on: string[] | null;
  labels: Record<string, string> | null;
  /** Made when a runner takes the stage; Drone omits them until then. */
  steps: StepRec[];
}

export interface BuildRec {
  id: number;
  repo_id: number;
  trigger: string;
  number: number;
  parent: number;
  status: string;
  error: string;
  event: string;
  action: string;
  link: string;
  timestamp: number;
  title: string;
  message: string;
  before: string;
  after: string;
  ref: string;
  source_repo: string;
  source: string;
  target: string;
  author_login: string;
  author_name: string;
  author_email: string;
  author_avatar: string;
  sender: string;
  params: Record<string, string>;
  cron: string;
  deploy_to: string;
  deploy_id: number;
  debug: boolean;
  started: number;
  finished: number;
  created: number;
  updated: number;
  version: number;
  stages: StageRec[];
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A build as Drone's API writes it: empty `error`, `params` and `stages` left out (omitempty). */
export function buildJson(build: BuildRec, withStages = true): Record<string, unknown> {
  const { stages, error, params, ...rest } = build;
  return {
    ...rest,
    ...(error ? { error } : {}),
    ...(Object.keys(params).length > 0 ? { params } : {}),
    ...(withStages && stages.length > 0 ? { stages: stages.map(stageJson) } : {}),
  };
}

function stageJson(stage: StageRec): Record<string, unknown> {
  const { steps, error, ...rest } = stage;
  return {
    ...rest,
    ...(error ? { error } : {}),
    ...(steps.length > 0 ? { steps: steps.map(stepJson) } : {}),
  };
}

function stepJson(step: StepRec): Record<string, unknown> {
  const { log, error, ...rest } = step;
  void log;
  return { ...rest, ...(error ? { error } : {}) };
}
