#!/usr/bin/env node
// cc-ci's command line (DESIGN §3.2). Wiring only: parse, validate, build the ports, call the
// use case, map the outcome to an exit code (0 pass, 1 fail, 2 usage or config, 3 infrastructure).
import { Command, CommanderError, Option } from 'commander';
import { loadConfig, type Config } from './config/load-config.js';
import { parseDuration } from './config/duration.js';
import { CcciError, errorMessage, exitCodeFor } from './errors.js';
import { createAbraCli } from './harness/abra.js';
import { connectDocker, SwarmDocker } from './harness/docker.js';
import { runJanitor } from './harness/janitor.js';
import { createLogger } from './log/create-logger.js';
import { stageNames, type StageName } from './model/stage.js';
import { exitCodeForVerdict } from './report/verdict.js';
import { createRunDir, newRunId } from './runner/run-dir.js';
import { runRecipe } from './runner/run-recipe.js';
import { checkAllSpecs } from './spec/load-spec.js';
import { SecretRegistry } from './secrets/secret-registry.js';
import { parseStages, validateRecipeName, validateRef, validateRepoUrl } from './validate/input.js';
import { join } from 'node:path';

const secrets = new SecretRegistry();

interface RunFlags { ref: string; repo?: string; stages?: string; quick?: boolean; keep?: boolean; json?: boolean; config?: string }

async function runCommand(recipeArg: string, flags: RunFlags): Promise<number> {
  // Everything from outside is validated before anything is cloned or deployed.
  const recipe = validateRecipeName(recipeArg);
  const ref = validateRef(flags.ref);
  const asked = chooseStages(flags);
  const config = loadConfig({ path: flags.config, secrets });
  const stages = asked.length > 0 ? asked : [...config.runner.stages];
  const repo = validateRepoUrl(flags.repo ?? defaultRepo(config, recipe));
  const runId = newRunId();
  const runDir = createRunDir(config.store, runId, config.swarm.abraDir, config.swarm.server);
  const { log, close } = createLogger({ secrets, file: runDir.logFile });
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) { log.warn('teardown in progress; wait for it'); return; }
    log.warn(`${signal}: stopping the run and tearing down`);
    controller.abort(new CcciError('CANCELLED', `stopped by ${signal}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // runner.runTimeout bounds the whole run; teardown still runs after it fires.
  const runTimer = setTimeout(() => {
    log.error(`the run took longer than runner.runTimeout (${Math.round(config.runner.runTimeout / 60_000)} min): stopping it and tearing down`);
    controller.abort(new CcciError('DEADLINE', 'runner.runTimeout reached'));
  }, config.runner.runTimeout);
  runTimer.unref();
  log.info({ runId, recipe, ref, stages }, `run ${runId}: ${recipe} at ${ref}`);
  const makeAbra = (abraDir: string) => createAbraCli({
    binary: config.swarm.abra,
    abraDir,
    server: config.swarm.server,
    dockerHost: config.swarm.dockerHost,
    onLine: (line) => log.info({ src: 'abra' }, line),
  });
  const docker = new SwarmDocker(connectDocker(config.swarm.dockerHost));
  try {
    const results = await runRecipe({ recipe, repo, ref, stages, keep: flags.keep }, { config, secrets, log, docker, makeAbra, signal: controller.signal }, runDir);
    log.info({ verdict: results.verdict }, `verdict ${results.verdict}, level L${results.level}`);
    await close();
    if (flags.json) process.stdout.write(secrets.redact(JSON.stringify(results, null, 2)) + '\n');
    else process.stdout.write(`${results.verdict} L${results.level} ${recipe}@${ref} — ${join(runDir.artifactsDir, 'results.json')}\n`);
    return exitCodeForVerdict(results.verdict);
  } finally {
    clearTimeout(runTimer);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

function chooseStages(flags: RunFlags): StageName[] {
  if (flags.quick) return ['install'];
  return flags.stages ? parseStages(flags.stages) : [];
}

/** Without --repo: the enrolled repository on the forge whose name is the recipe. */
function defaultRepo(config: Config, recipe: string): string {
  const enrolled = config.forge?.repos.find((r) => r.split('/')[1] === recipe);
  if (!config.forge || !enrolled) throw new CcciError('USAGE', `no --repo given and ${recipe} is not an enrolled repository in forge.repos`);
  return `${config.forge.url.replace(/\/$/, '')}/${enrolled}.git`;
}

async function janitorCommand(flags: { maxAge?: string; config?: string }): Promise<number> {
  const config = loadConfig({ path: flags.config, secrets });
  const maxAgeMs = flags.maxAge === undefined ? config.runner.janitorMaxAge : parseDuration(flags.maxAge);
  if (maxAgeMs === undefined) throw new CcciError('USAGE', `--max-age: expected a duration like 0, 30m or 2h, got ${JSON.stringify(flags.maxAge)}`);
  const { log, close } = createLogger({ secrets });
  const abra = createAbraCli({ binary: config.swarm.abra, abraDir: config.swarm.abraDir, server: config.swarm.server, dockerHost: config.swarm.dockerHost, onLine: (l) => log.info({ src: 'abra' }, l) });
  const docker = new SwarmDocker(connectDocker(config.swarm.dockerHost));
  const report = await runJanitor({
    abra, docker, store: config.store, maxAgeMs, swarmDomain: config.swarm.domain,
    serverDir: join(config.swarm.abraDir, 'servers', config.swarm.server),
    log: (line) => log.info(line),
  });
  const dirty = report.reaped.filter((r) => r.left.length > 0);
  log.info({ reaped: report.reaped.map((r) => r.domain), keptLive: report.keptLive, keptYoung: report.keptYoung },
    `janitor: reaped ${report.reaped.length}, kept ${report.keptLive.length} owned by live runs, ${report.keptYoung.length} younger than the age`);
  for (const r of dirty) log.error({ domain: r.domain, left: r.left }, 'janitor could not remove everything');
  await close();
  return dirty.length > 0 ? 3 : 0;
}

async function recipesCommand(flags: { check?: boolean; config?: string }): Promise<number> {
  const config = loadConfig({ path: flags.config, secrets });
  const enrolled = new Set(config.forge?.repos.map((r) => r.split('/')[1] ?? r) ?? []);
  const rows = checkAllSpecs(config.recipesDir);
  for (const name of enrolled) if (!rows.some((r) => r.recipe === name)) rows.push({ recipe: name, customChecks: 0 });
  let bad = 0;
  for (const r of rows.sort((a, b) => a.recipe.localeCompare(b.recipe))) {
    const what = r.error ? `INVALID ${r.error}` : r.file ? `spec ${r.file}${r.customChecks ? `, ${r.customChecks} custom checks` : ''}` : 'generic suite (no spec)';
    if (r.error) bad++;
    process.stdout.write(`${r.recipe}${enrolled.has(r.recipe) ? ' (enrolled)' : ''}: ${flags.check ? what : r.error ? 'INVALID' : r.file ? 'spec' : 'generic suite'}\n`);
  }
  if (flags.check) process.stdout.write(`${rows.length} recipes, ${bad} invalid\n`);
  return flags.check && bad > 0 ? 2 : 0;
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('cc-ci')
    .description('Continuous integration for Co-op Cloud recipes')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  program.command('run')
    .description('run the lifecycle stages of one recipe at one ref, in the foreground')
    .argument('<recipe>', 'recipe name, e.g. custom-html')
    .option('--ref <ref>', 'branch, tag or commit to test', 'HEAD')
    .option('--repo <url>', 'recipe repository to clone (default: the enrolled forge repository)')
    .option('--stages <list>', `comma-separated stages: ${stageNames.join(',')}`)
    .option('--quick', 'install only')
    .option('--keep', 'keep a failed deployment for runner.keepOnFailure hours')
    .option('--json', 'print results.json on stdout')
    .addOption(new Option('--config <file>', 'cc-ci.yml (default: $CCCI_CONFIG)'))
    .action(async (recipe: string, flags: RunFlags) => setExit(await runCommand(recipe, flags)));
  program.command('janitor')
    .description('reap leftover test apps that no live run owns')
    .option('--max-age <duration>', 'only apps older than this (0 reaps every orphan); default runner.janitorMaxAge')
    .addOption(new Option('--config <file>', 'cc-ci.yml (default: $CCCI_CONFIG)'))
    .action(async (flags: { maxAge?: string; config?: string }) => setExit(await janitorCommand(flags)));
  program.command('recipes')
    .description('list the enrolled recipes and their specs')
    .option('--check', 'validate every recipes/<recipe>/ci.yml; exit 2 if any is invalid')
    .addOption(new Option('--config <file>', 'cc-ci.yml (default: $CCCI_CONFIG)'))
    .action(async (flags: { check?: boolean; config?: string }) => setExit(await recipesCommand(flags)));
  return program;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`cc-ci: ${secrets.redact(errorMessage(err))}\n`);
    return exitCodeFor(err);
  }
}

// Exit explicitly: the Docker client's keep-alive sockets would otherwise hold the process open.
process.exit(await main(process.argv));
