// The results phase: the stages as they ended (or why they did not run), level, verdict and
// `error` as `{code, message}` (DESIGN §3.6).
import type { ErrorInfo } from '../model/errors.js';
import { RESULTS_SCHEMA_VERSION, type RunResults } from '../model/results.js';
import { skipReasons, stageNames, type StageName, type StageResult } from '../model/stage.js';
import { notReached } from '../model/blame.js';
import { computeLevel, computeVerdict } from '../report/verdict.js';
import type { AppHandle } from '../stages/stage-context.js';
import type { RunRequest } from '../model/run.js';
import type { Prepared, RunInput } from './prepare.js';
import type { Settled } from './settle.js';

/** What a run has found out so far: the runner keeps it as it goes, the results are built from it. */
export interface RunProgress {
  startedAt: Date;
  req?: RunRequest;
  prepared?: Prepared;
  apps: AppHandle[];
  stages: Map<StageName, StageResult>;
  /** Why the run could not go on (refused input, a broken clone), when it could not. */
  error?: ErrorInfo;
  refused?: boolean;
}

export interface ResultsInput extends RunProgress {
  runId: string;
  input: RunInput;
  /** Set when the run was stopped: cancelled, superseded or timed out. */
  stop?: ErrorInfo;
  settled: Settled;
}

export function buildResults(r: ResultsInput): RunResults {
  const stages = stageNames.map((name) => r.stages.get(name) ?? unreached(name, r));
  const clean = r.settled.left.length === 0;
  const verdict = computeVerdict(stages, clean, r.stop !== undefined || r.error !== undefined);
  const finishedAt = new Date();
  const plan = r.prepared?.plan;
  const spec = r.prepared?.loaded;
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: r.runId,
    recipe: r.req?.recipe ?? r.input.recipe,
    repo: r.req?.repo ?? r.input.repo ?? '',
    ref: r.req?.ref ?? r.input.ref,
    // The commit tested; a pinned one is named even when the run could not get to it.
    headSha: r.prepared?.headSha ?? r.req?.sha,
    versions: { base: plan && 'base' in plan ? plan.base : undefined, head: r.prepared?.headVersion },
    startedAt: r.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - r.startedAt.getTime(),
    spec: spec && { source: spec.source, path: spec.path },
    stages,
    level: computeLevel(stages),
    verdict,
    apps: r.apps.map((a) => ({
      ...(a.deployed ?? { role: a.role, domain: a.name.domain, stack: a.name.stack }),
      services: r.settled.services.get(a.name.domain),
    })),
    teardown: { clean, left: r.settled.left, durationMs: r.settled.durationMs, keptUntil: r.settled.keptUntil },
    error: verdict === 'error' ? runError(r, stages, clean) : undefined,
    artifacts: [],
  };
}

/** A stage with no result: not asked for, refused with the run, or not reached before the run ended. */
function unreached(name: StageName, r: ResultsInput): StageResult {
  if (r.refused && r.error) return { name, status: 'skip', reason: skipReasons.refused(r.error.message), checks: [] };
  const asked = r.req ? r.req.stages.includes(name) : true;
  if (!asked) return { name, status: 'skip', reason: skipReasons.notAsked, checks: [] };
  return notReached(name, r.stop ?? r.error);
}

/** Why the verdict is `error`: the stop, the run breaking, teardown, or the first stage that errored. */
function runError(r: ResultsInput, stages: StageResult[], clean: boolean): ErrorInfo {
  if (r.stop) return r.stop;
  if (r.error) return r.error;
  if (!clean) return { code: 'TEARDOWN_INCOMPLETE', message: `teardown left ${r.settled.left.join(', ')}` };
  const broke = stages.find((s) => s.status === 'error');
  return {
    code: (broke?.code ?? 'INTERNAL') as ErrorInfo['code'],
    message: broke ? `${broke.name}: ${broke.reason ?? 'error'}` : 'the run ended in error',
  };
}
