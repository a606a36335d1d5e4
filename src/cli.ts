#!/usr/bin/env node
// cc-ci's command line (DESIGN §3.2). Wiring only: parse, validate, build the ports, call the
// use case, map the outcome to an exit code (0 pass, 1 fail, 2 usage or config, 3 infrastructure).
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from './config/load-config.js';
import { parseDuration } from './config/duration.js';
import { CcciError, errorInfo, errorMessage, exitCodeFor } from './model/errors.js';
import { doctorExitCode, formatResults, runChecks } from './doctor/check.js';
import { doctorChecks } from './doctor/doctor.js';
import { createForgeClient } from './forge/client.js';
import { createAbraCli } from './abra/abra.js';
import { abraCalls } from './abra/abra-calls.js';
import { createAbraProbe } from './abra/abra-help.js';
import { createDockerProbe } from './docker/host-probe.js';
import { probeChromium } from './browser/probe.js';
import { botBackupRepo } from './backupbot/backup-repo.js';
import { connectDocker, SwarmDocker } from './docker/docker.js';
import { runJanitor } from './apps/janitor.js';
import { Lease } from './apps/lease.js';
import { createLogger } from './log/create-logger.js';
import { stageNames } from './model/stage.js';
import { runRecipe } from './runner/run-recipe.js';
import { openRunSession } from './runner/session.js';
import { checkAllSpecs } from './spec/load-spec.js';
import { SecretRegistry } from './secrets/secret-registry.js';
import { chromiumPath } from './browser/chromium.js';
import { join } from 'node:path';

const secrets = new SecretRegistry();

interface RunFlags { ref: string; repo?: string; stages?: string; quick?: boolean; keep?: boolean; json?: boolean; config?: string; runId?: string; events?: string }

async function runCommand(recipe: string, flags: RunFlags): Promise<number> {
  const config = loadConfig({ path: flags.config, secrets });
  // From here on a run has a folder, a log and stop handlers; whatever happens ends in results.
  const session = openRunSession({ config, secrets, runId: flags.runId, events: flags.events });
  const { log, runDir } = session;
  try {
    const docker = new SwarmDocker(connectDocker(config.swarm.dockerHost));
    const lease = new Lease(config.store, session.runId, { onError: (message) => log.warn(message) });
    const { results, exitCode } = await runRecipe(
      { recipe, ref: flags.ref, repo: flags.repo, stages: flags.stages, quick: flags.quick, keep: flags.keep },
      {
        config, secrets, log, docker, lease, events: session.events, signal: session.signal, runDir,
        makeAbra: (abraDir) => createAbraCli({
          binary: config.swarm.abra, abraDir, server: config.swarm.server, dockerHost: config.swarm.dockerHost,
          onLine: (line) => log.info({ src: 'abra' }, line),
        }),
      });
    if (flags.json) process.stdout.write(secrets.redact(JSON.stringify(results, null, 2)) + '\n');
    else if (exitCode !== 2) process.stdout.write(`${results.verdict} L${results.level} ${results.recipe}@${results.ref} — ${runDir.results}\n`);
    if (exitCode === 2 && results.error) process.stderr.write(`cc-ci: ${secrets.redact(results.error.message)}\n`);
    return exitCode;
  } catch (err) {
    // runRecipe turns every way a run ends into results; only a bug (or an unwritable store) gets
    // here. The fatal line goes to run.log as well as stderr.
    log.error({ code: errorInfo(err).code }, `cc-ci broke: ${errorMessage(err)}`);
    throw err;
  } finally {
    await session.close();
  }
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
  log.info({ reaped: report.reaped.map((r) => r.domain), keptLive: report.keptLive, keptYoung: report.keptYoung, keptUnsure: report.keptUnsure, unreadableLeases: report.unreadableLeases },
    `janitor: reaped ${report.reaped.length}, kept ${report.keptLive.length} owned by live runs, ${report.keptYoung.length} younger than the age` +
    (report.unreadableLeases.length > 0 ? `, ${report.keptUnsure.length} because ${report.unreadableLeases.length} live-looking lease(s) could not be read` : ''));
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

async function serveCommand(flags: { config?: string }): Promise<number> {
  const config = loadConfig({ path: flags.config, secrets });
  const { log, close } = createLogger({ secrets });
  const { serve } = await import('./server/serve.js');
  // The handlers go in first: a stop during start-up (recovery can take a while) is kept for when serving begins.
  const state: { serving?: Awaited<ReturnType<typeof serve>>; asked?: string } = {};
  const onSignal = (s: NodeJS.Signals) => { state.asked ??= s; if (state.serving) void state.serving.stop(s); };
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, onSignal);
  const serving = await serve(config, secrets, log);
  state.serving = serving;
  if (state.asked) void serving.stop(state.asked);
  await serving.stopped;
  await close();
  return 0;
}

async function doctorCommand(flags: { config?: string }): Promise<number> {
  const config = loadConfig({ path: flags.config, secrets });
  const { swarm } = config;
  const token = config.secrets.forgeToken;
  const checks = doctorChecks(config, {
    abra: createAbraProbe({ binary: swarm.abra, abraDir: swarm.abraDir, dockerHost: swarm.dockerHost }),
    abraCalls,
    docker: createDockerProbe(swarm.dockerHost),
    chromium: () => probeChromium(chromiumPath),
    // No waiting out a lock here: a locked repository is reported as it is.
    backups: botBackupRepo(new SwarmDocker(connectDocker(swarm.dockerHost)), { waitMs: 0 }),
    // One try, a short timeout: the doctor reports a slow forge instead of waiting it out.
    forge: config.forge && token ? createForgeClient({ url: config.forge.url, token, retries: 0, timeoutMs: 5_000 }) : undefined,
  });
  const results = await runChecks(checks);
  process.stdout.write(secrets.redact([`cc-ci doctor: ${config.path}`, ...formatResults(results)].join('\n')) + '\n');
  return doctorExitCode(results);
}

async function demoCommand(flags: { pr?: string; port: string; dir: string }): Promise<number> {
  if (flags.pr !== undefined && flags.pr !== 'broken') throw new CcciError('USAGE', `--pr: the only extra PR is "broken", got ${JSON.stringify(flags.pr)}`);
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CcciError('USAGE', `--port: expected a port number, got ${JSON.stringify(flags.port)}`);
  const { runDemo } = await import('./demo/demo.js');
  const stop = new AbortController();
  const onSignal = (s: NodeJS.Signals) => {
    if (!stop.signal.aborted) process.stdout.write(`\n${s}: stopping the demo …\n`);
    stop.abort();
  };
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, onSignal);
  return runDemo({ port, dir: flags.dir, brokenPr: flags.pr === 'broken', signal: stop.signal, say: (line) => process.stdout.write(`${line}\n`) });
}

/** Every command but demo reads cc-ci.yml from --config or $CCCI_CONFIG. */
function configOption(): Option {
  return new Option('--config <file>', 'cc-ci.yml (default: $CCCI_CONFIG)');
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
    .option('--run-id <id>', 'the run id, minted by the caller (the server); default: a new one')
    .option('--events <file>', 'append one JSON event a line to this file as the run goes')
    .addOption(configOption())
    .action(async (recipe: string, flags: RunFlags) => setExit(await runCommand(recipe, flags)));
  program.command('serve')
    .description('the queue, the dashboard and the API: runs each run as a child cc-ci run')
    .addOption(configOption())
    .action(async (flags: { config?: string }) => setExit(await serveCommand(flags)));
  program.command('janitor')
    .description('reap leftover test apps that no live run owns')
    .option('--max-age <duration>', 'only apps older than this (0 reaps every orphan); default runner.janitorMaxAge')
    .addOption(configOption())
    .action(async (flags: { maxAge?: string; config?: string }) => setExit(await janitorCommand(flags)));
  program.command('recipes')
    .description('list the enrolled recipes and their specs')
    .option('--check', 'validate every recipes/<recipe>/ci.yml; exit 2 if any is invalid')
    .addOption(configOption())
    .action(async (flags: { check?: boolean; config?: string }) => setExit(await recipesCommand(flags)));
  program.command('doctor')
    .description('check the host against the config: abra (its version, every command and flag cc-ci uses), docker and the swarm, the proxy network, backup-bot-two, the ingress, the store, Chromium, the forge token\'s rights; exit 1 when something is missing')
    .addOption(configOption())
    .action(async (flags: { config?: string }) => setExit(await doctorCommand(flags)));
  program.command('demo')
    .description('the whole loop on this machine: testbed swarm, a stand-in forge with a PR, cc-ci serve, a !testme, the run to its verdict; serves until Ctrl-C (root; a machine you can spare)')
    .option('--pr <name>', 'also open a second PR: "broken", whose upgrade loses data')
    .option('--port <port>', 'the dashboard\'s port on 127.0.0.1', '8080')
    .option('--dir <dir>', 'where the demo keeps its config, store, logs and screenshots (emptied at start)', '/var/lib/cc-ci-testbed/demo')
    .action(async (flags: { pr?: string; port: string; dir: string }) => setExit(await demoCommand(flags)));
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
