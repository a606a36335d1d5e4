// One run of one recipe at one ref (DESIGN §4), as named phases:
//   prepare  check the request, clone, resolve the ref, load the spec, plan the upgrade base
//   stages   the lifecycle table (stage-table.ts), chains side by side or in order
//   settle   service logs and images, keep or tear down every app, release the lease
//   results  results.json, junit.xml and the run-finished event
// It never throws once the session is open: every way a run ends becomes results.
import { join } from 'node:path';
import { errorInfo, isRefusal } from '../model/errors.js';
import { newAppName } from '../model/app-name.js';
import { checkout, cloneRepo, resolveRef } from '../git/git.js';
import { finishStage, refusedStage, stopInfo } from '../model/blame.js';
import type { RunResults } from '../model/results.js';
import { skipReasons, stageNames, type StageResult } from '../model/stage.js';
import { writeJunit } from '../report/junit.js';
import { writeResults } from '../report/results.js';
import { exitCodeForVerdict, naNote } from '../report/verdict.js';
import type { AppHandle, StageContext } from '../stages/stage-context.js';
import { buildResults, type RunProgress } from './build-results.js';
import { prepare, validateRequest, type RunInput } from './prepare.js';
import { Settler } from './settle.js';
import { lifecycle, type Chain, type StageDef, type StageScope } from './stage-table.js';
import type { RunDeps } from './run-deps.js';

export type { RunDeps } from './run-deps.js';

export interface RunOutcome {
  results: RunResults;
  /** 0 pass, 1 fail, 2 refused (bad input), 3 error (including a stopped run). */
  exitCode: number;
}

/** What the phases share while the run goes. */
interface RunnerState extends RunProgress {
  settler: Settler;
}

export async function runRecipe(input: RunInput, deps: RunDeps): Promise<RunOutcome> {
  const { log, events, signal } = deps;
  const state: RunnerState = {
    startedAt: new Date(),
    apps: [],
    stages: new Map(),
    settler: new Settler(deps, input.keep === true),
  };
  events.emit({
    type: 'run-started',
    recipe: input.recipe,
    repo: input.repo,
    ref: input.ref,
    ...(input.sha ? { sha: input.sha } : {}),
    stages: input.quick ? ['install'] : (input.stages?.split(',') ?? [...deps.config.runner.stages]),
    pid: process.pid,
  });
  log.info(
    { runId: deps.runDir.runId, recipe: input.recipe, ref: input.ref, sha: input.sha },
    `run ${deps.runDir.runId}: ${input.recipe} at ${input.ref}${input.sha ? `, commit ${input.sha}` : ''}`,
  );
  try {
    state.req = validateRequest(input, deps.config);
    log.info({ repo: state.req.repo, ref: state.req.ref, stages: state.req.stages }, `cloning ${state.req.recipe}`);
    state.prepared = await prepare(state.req, deps.config, deps.runDir.checkout, signal);
    const { headSha, refHead, headVersion, loaded, plan } = state.prepared;
    const moved =
      refHead !== undefined && refHead !== headSha ? ` (the pinned commit; ${state.req.ref} is at ${refHead} now)` : '';
    log.info(
      { headSha, refHead, headVersion, spec: { source: loaded.source, path: loaded.file }, plan },
      state.req.sha ? `testing ${headSha}${moved}` : `${state.req.ref} is ${headSha}`,
    );
    if (loaded.source === 'generic') log.info('no spec: the generic suite');
    else log.info({ spec: loaded.file }, `spec: ${loaded.file} (${specWords[loaded.source]})`);
    await runStages(state, deps);
  } catch (err) {
    noteRunError(state, err, deps);
  }
  const settled = await state.settler.run(state.apps, state.stages);
  const results = buildResults({ ...state, input, runId: deps.runDir.runId, settled, stop: stopInfo(signal) });
  const exitCode = state.refused ? 2 : exitCodeForVerdict(results.verdict);
  results.artifacts = deps.runDir.listArtifacts(['results.json', 'junit.xml']);
  writeResults(deps.runDir.results, results, deps.secrets);
  writeJunit(join(deps.runDir.artifacts, 'junit.xml'), results, deps.secrets);
  events.emit({ type: 'run-finished', exitCode, results });
  if (results.error) log.error({ code: results.error.code }, `${results.error.code}: ${results.error.message}`);
  log.info(
    { verdict: results.verdict, reached: `L${results.level}` },
    `verdict ${results.verdict}, level L${results.level}`,
  );
  return { results, exitCode };
}

/** A refusal before any app exists is bad input (exit 2); anything else is the run breaking. */
function noteRunError(state: RunnerState, err: unknown, deps: RunDeps): void {
  const info = stopInfo(deps.signal) ?? errorInfo(err);
  state.error = info;
  state.refused = isRefusal(info.code) && state.apps.length === 0;
  deps.log.error({ code: info.code }, state.refused ? `refused: ${info.message}` : `the run broke: ${info.message}`);
}

/** The stages phase: every asked stage runs, is `na`, is `skip` with its reason, or is not reached. */
async function runStages(state: RunnerState, deps: RunDeps): Promise<void> {
  const req = state.req!;
  const prepared = state.prepared!;
  const { spec } = prepared.loaded;
  const table = deps.stages ?? lifecycle;
  const record = (r: StageResult) => {
    state.stages.set(r.name, r);
    const note = naNote(r);
    deps.log.info(
      { stage: r.name, status: r.status, code: r.code, reason: r.reason, naBy: r.naBy },
      `${r.name}: ${r.status}${r.reason ? ` (${note ? `${note}: ` : ''}${r.reason})` : ''}`,
    );
  };
  // The recipe's own spec does not validate: the recipe's failure, on every stage it would have shaped.
  if (prepared.specInvalid) {
    for (const name of req.stages) record(refusedStage(name, prepared.specInvalid));
    return;
  }
  // Only the operator's na counts for the level; the recipe's own is shown but does not climb.
  const naBy = prepared.loaded.source === 'operator' ? 'operator' : 'recipe';
  for (const name of stageNames) {
    if (spec.stages[name] === 'na')
      record({ name, status: 'na', reason: spec.na_reason[name] ?? 'declared not applicable', naBy, checks: [] });
  }
  const scope = stageScope(state, deps);
  const runOne = async (def: StageDef) => {
    if (!req.stages.includes(def.name) || state.stages.has(def.name) || deps.signal.aborted) return;
    if (def.needsInstall && state.stages.get('install')?.status !== 'pass') {
      record({
        name: def.name,
        status: 'skip',
        reason: skipReasons.needsInstall(req.stages.includes('install')),
        checks: [],
      });
      return;
    }
    deps.events.emit({ type: 'stage-started', stage: def.name });
    const started = Date.now();
    let result: StageResult;
    try {
      result = await def.run(scope);
    } catch (err) {
      // A stage that could not even start (a clone, a lease) ends here, as `blame` decides.
      result = finishStage(def.name, started, [], err, deps.signal);
    }
    record(result);
    deps.events.emit({ type: 'stage-finished', stage: def.name, result });
  };
  // Once its chain has ended, an app is settled (logs, then teardown or keep) while the others go on.
  const chainEnded = async (chain: Chain) => {
    const role = appOfChain[chain];
    const app = role && state.apps.find((a) => a.role === role);
    if (app) await state.settler.app(app, state.stages);
  };
  const chains = [...new Set(table.map((d) => d.chain))];
  const lastOf = (chain: Chain) => table.filter((d) => d.chain === chain).at(-1);
  if (deps.config.runner.parallelApps) {
    await Promise.all(
      chains.map(async (chain) => {
        for (const def of table.filter((d) => d.chain === chain)) await runOne(def);
        await chainEnded(chain);
      }),
    );
  } else {
    for (const name of stageNames) {
      const def = table.find((d) => d.name === name);
      if (!def) continue;
      await runOne(def);
      if (lastOf(def.chain) === def) await chainEnded(def.chain);
    }
  }
}

const specWords: Record<'operator' | 'recipe', string> = {
  operator: "cc-ci's spec for this recipe",
  recipe: "the recipe's own, at the tested commit",
};

const appOfChain: Record<Chain, AppHandle['role'] | undefined> = {
  'install-app': 'install',
  'upgrade-app': 'upgrade',
  'clean-clone': undefined,
};

/** What stages may ask of the run: its context, and apps made (and claimed) on demand. */
function stageScope(state: RunnerState, deps: RunDeps): StageScope {
  const req = state.req!;
  const { head, headSha, headVersion, loaded, plan, namesTooLong } = state.prepared!;
  const { config, signal } = deps;
  const ctx: StageContext = {
    config,
    docker: deps.docker,
    log: deps.log,
    secrets: deps.secrets,
    signal,
    recipe: req.recipe,
    spec: loaded.spec,
    customChecks: loaded.customChecks,
    headSha,
    headVersion,
    ref: req.ref,
    artifactsDir: deps.runDir.artifacts,
  };
  // A fresh clone per app: abra checks a version out in its own tree, so parallel apps never collide.
  const cloneAt = async (role: string, ref: string) => {
    const { abraDir, recipesDir } = deps.runDir.abraDirFor(role);
    const recipeDir = join(recipesDir, req.recipe);
    await cloneRepo(head, recipeDir, { signal });
    await checkout(recipeDir, await resolveRef(recipeDir, ref, { signal }), { signal });
    return { abra: deps.makeAbra(abraDir), recipeDir };
  };
  return {
    ctx,
    plan,
    async newApp(role, ref) {
      // A recipe whose names cannot fit beside the longest stack gets no app: its stage fails before any exists.
      if (namesTooLong) throw namesTooLong;
      const { abra, recipeDir } = await cloneAt(role, ref);
      const app: AppHandle = { name: newAppName(req.recipe, config.swarm.domain), role, abra, recipeDir };
      // Claimed before it exists, so there is never a moment the janitor could take it for an orphan.
      deps.lease.claim(app.name.domain);
      state.apps.push(app);
      deps.events.emit({ type: 'app-claimed', domain: app.name.domain, stack: app.name.stack, role });
      deps.log.info({ domain: app.name.domain, role }, `${role} app ${app.name.domain}`);
      return app;
    },
    installApp() {
      const app = state.apps.find((a) => a.role === 'install');
      if (!app) throw new Error('the install app does not exist: a stage that needs it ran without a passing install');
      return app;
    },
    cleanClone: () => cloneAt('lint', headSha),
  };
}
