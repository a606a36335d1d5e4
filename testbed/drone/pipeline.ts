// Reading a runner repository's .drone.yml the way Drone's server and its exec runner do what
// cc-ci's pipeline needs: the YAML documents of `kind: pipeline` (type `docker` when not given),
// a pipeline's trigger on the build's event (no `trigger.event`: every event), `clone.disable`,
// `platform`, and each step's `commands` and `environment` (a plain value, or `from_secret`).
import { parseAllDocuments } from 'yaml';

export interface StepSpec {
  name: string;
  commands: string[];
  /** Plain values, and the names of secrets by variable. */
  environment: Record<string, string>;
  secrets: Record<string, string>;
}

export interface PipelineSpec {
  name: string;
  type: string;
  os: string;
  arch: string;
  cloneDisabled: boolean;
  steps: StepSpec[];
}

/** The pipelines a build of `event` runs; throws (with YAML's message) on a file Drone would refuse. */
export function pipelinesFor(text: string, event: string): PipelineSpec[] {
  const out: PipelineSpec[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`yaml: ${doc.errors[0]?.message ?? 'cannot parse'}`);
    const data = doc.toJS() as unknown;
    if (!isObject(data) || data.kind !== 'pipeline') continue;
    const events = isObject(data.trigger) ? list(data.trigger.event) : undefined;
    if (events && !events.includes(event)) continue;
    const platform = isObject(data.platform) ? data.platform : {};
    out.push({
      name: typeof data.name === 'string' ? data.name : 'default',
      type: typeof data.type === 'string' ? data.type : 'docker',
      os: typeof platform.os === 'string' ? platform.os : 'linux',
      arch: typeof platform.arch === 'string' ? platform.arch : 'amd64',
      cloneDisabled: isObject(data.clone) && data.clone.disable === true,
      steps: (Array.isArray(data.steps) ? data.steps : []).filter(isObject).map(stepSpec),
    });
  }
  return out;
}

function stepSpec(step: Record<string, unknown>, index: number): StepSpec {
  const environment: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  if (isObject(step.environment))
    for (const [key, value] of Object.entries(step.environment)) {
      if (isObject(value) && typeof value.from_secret === 'string') secrets[key] = value.from_secret;
      else if (value !== null && typeof value !== 'object') environment[key] = String(value);
    }
  return {
    name: typeof step.name === 'string' ? step.name : `step-${index + 1}`,
    commands: (Array.isArray(step.commands) ? step.commands : []).map(String),
    environment,
    secrets,
  };
}

/** A condition's list: `[a, b]`, a single value, or `{include: [...]}`. */
function list(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  if (isObject(value)) return list(value.include);
  return [String(value)];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
