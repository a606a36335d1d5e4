#!/usr/bin/env node
// cc-ci's command line (DESIGN §3.2): parses and checks the arguments, then calls the command in
// src/wiring/ (which builds the ports and runs the use case) and exits with the code it returns
// (0 pass, 1 fail, 2 usage or config, 3 infrastructure). Heavy commands are loaded on demand, so
// the child `cc-ci run` never loads the server.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { CcciError, errorMessage, exitCodeFor } from './model/errors.js';
import { stageNames } from './model/stage.js';
import { SecretRegistry } from './secrets/secret-registry.js';
import { doctorCommand } from './wiring/doctor.js';
import { janitorCommand } from './wiring/janitor.js';
import { recipesCommand } from './wiring/recipes.js';
import { runCommand, type RunFlags } from './wiring/run.js';
import type { HostReconcileFlags } from './wiring/host.js';
import type { ServeFlags } from './wiring/serve.js';

const secrets = new SecretRegistry();

async function demoCommand(flags: { pr?: string; port: string; dir: string }): Promise<number> {
  if (flags.pr !== undefined && flags.pr !== 'broken')
    throw new CcciError('USAGE', `--pr: the only extra PR is "broken", got ${JSON.stringify(flags.pr)}`);
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CcciError('USAGE', `--port: expected a port number, got ${JSON.stringify(flags.port)}`);
  const { runDemo } = await import('./demo/demo.js');
  const stop = new AbortController();
  const onSignal = (s: NodeJS.Signals) => {
    if (!stop.signal.aborted) process.stdout.write(`\n${s}: stopping the demo …\n`);
    stop.abort();
  };
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, onSignal);
  return runDemo({
    port,
    dir: flags.dir,
    brokenPr: flags.pr === 'broken',
    signal: stop.signal,
    say: (line) => process.stdout.write(`${line}\n`),
  });
}

/** The version in cc-ci's package.json, the nearest above this file (src/ or dist/src/ alike). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return 'unknown';
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
}

/** Every command but demo reads cc-ci.yml from --config or $CCCI_CONFIG. */
function configOption(): Option {
  return new Option('--config <file>', 'cc-ci.yml (default: $CCCI_CONFIG)');
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('cc-ci')
    .description('Continuous integration for Co-op Cloud recipes')
    .version(`cc-ci ${packageVersion()}`, '--version', "print cc-ci's version")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  program
    .command('run')
    .description('run the lifecycle stages of one recipe at one ref, in the foreground')
    .argument('<recipe>', 'recipe name, e.g. custom-html')
    .option('--ref <ref>', 'branch, tag, full ref (e.g. refs/pull/7/head) or commit to test', 'HEAD')
    .option('--sha <sha>', 'the commit to test (full sha), fetched through --ref; tested even if --ref moved on')
    .option('--repo <url>', 'recipe repository to clone (default: the enrolled forge repository)')
    .option('--stages <list>', `comma-separated stages: ${stageNames.join(',')}`)
    .option('--quick', 'install only')
    .option('--keep', 'keep a failed deployment for runner.keepOnFailure hours')
    .option('--json', 'print results.json on stdout')
    .option('--run-id <id>', 'the run id, minted by the caller (the server); default: a new one')
    .option('--events <file>', 'append one JSON event a line to this file as the run goes')
    .addOption(configOption())
    .action(async (recipe: string, flags: RunFlags) => setExit(await runCommand(recipe, flags, secrets)));
  program
    .command('serve')
    .description('the queue, the dashboard and the API: runs each run as a child cc-ci run')
    .option(
      '--drain',
      'on the first SIGTERM or SIGINT start no new run and let the running ones finish (up to --drain-timeout); ' +
        'a second signal stops them at once',
    )
    .option(
      '--drain-timeout <duration>',
      'how long --drain waits for the running runs before stopping them (default 30m)',
    )
    .addOption(configOption())
    .action(async (flags: ServeFlags) => {
      const { serveCommand } = await import('./wiring/serve.js');
      setExit(await serveCommand(flags, secrets));
    });
  program
    .command('janitor')
    .description('reap leftover test apps that no live run owns')
    .option('--max-age <duration>', 'only apps older than this (0 reaps every orphan); default runner.janitorMaxAge')
    .addOption(configOption())
    .action(async (flags: { maxAge?: string; config?: string }) => setExit(await janitorCommand(flags, secrets)));
  program
    .command('recipes')
    .description('list the enrolled recipes and their specs')
    .option('--check', 'validate every recipes/<recipe>/ci.yml; exit 2 if any is invalid')
    .addOption(configOption())
    .action(async (flags: { check?: boolean; config?: string }) => setExit(await recipesCommand(flags, secrets)));
  program
    .command('doctor')
    .description(
      [
        'check the host against the config: abra (its version, every command and flag cc-ci uses),',
        'docker and the swarm, the proxy network, backup-bot-two, the ingress, the store, Chromium,',
        "the forge token's rights; exit 1 when something is missing",
      ].join(' '),
    )
    .addOption(configOption())
    .action(async (flags: { config?: string }) => setExit(await doctorCommand(flags, secrets)));
  program
    .command('host')
    .description('the host a run needs, as code: swarm, proxy network, traefik, backup-bot-two, units')
    .command('reconcile')
    .description(
      [
        'set up (or with --check only compare) this host: Docker, a single-node swarm, the proxy network, abra and',
        'its server entry, traefik through abra in wildcard mode with no ACME, backup-bot-two, the store, the',
        'systemd units; one line a step; exit 0 done, 1 drift or a failed step, 2 usage or config',
      ].join(' '),
    )
    .option('--check', 'change nothing: list what differs (exit 1 when something does)')
    .option('--self-signed', 'make a local CA and a wildcard certificate for swarm.domain (tests and the demo only)')
    .option('--self-signed-name <name...>', 'more names that certificate covers, e.g. *.lane.ci.test (the testbed)')
    .option('--profile <profile>', 'debian | testbed | nixos', 'debian')
    .option(
      '--role <role>',
      'all (one host), runner (a runner host: swarm, traefik, backups, janitor, the Drone exec runner) ' +
        'or control (the host of serve: its store and unit)',
      'all',
    )
    .option('--units-dir <dir>', 'write the systemd units here (default host.unitsDir or /etc/systemd/system)')
    .addOption(configOption())
    .action(async (flags: HostReconcileFlags) => {
      const { hostReconcileCommand } = await import('./wiring/host.js');
      setExit(await hostReconcileCommand(flags, secrets));
    });
  const store = program.command('store').description('the run store: retention by hand, a copy of the database');
  store
    .command('prune')
    .description(
      [
        'retention now (config retention): the folders of old finished runs (serve also does this daily),',
        "Docker images nothing uses that a registry can give back, and restic prune of the backup bot's repository",
      ].join(' '),
    )
    .option('--dry-run', 'print what would be pruned; change nothing')
    .addOption(configOption())
    .action(async (flags: { dryRun?: boolean; config?: string }) => {
      const { storePruneCommand } = await import('./wiring/store.js');
      setExit(await storePruneCommand(flags, secrets));
    });
  store
    .command('backup')
    .description('a consistent copy of the run database, safe while serve runs (SQLite online backup)')
    .argument('<file>', 'where to write the copy')
    .option('--force', 'overwrite the file if it exists')
    .addOption(configOption())
    .action(async (file: string, flags: { force?: boolean; config?: string }) => {
      const { storeBackupCommand } = await import('./wiring/store.js');
      setExit(await storeBackupCommand(file, flags, secrets));
    });
  const drone = program.command('drone').description('runs as Drone builds (runner.executor: drone; docs/drone.md)');
  drone
    .command('pipeline')
    .description(
      "print the runner repository's .drone.yml: one exec pipeline for custom builds, running cc-ci drone step",
    )
    .option('--cc-ci <path>', 'cc-ci on the runner hosts (default: cc-ci on their PATH)')
    .option('--step-config <file>', "the runner hosts' cc-ci.yml, when CCCI_CONFIG does not name it there")
    .action(async (flags: { ccCi?: string; stepConfig?: string }) => {
      const { dronePipelineCommand } = await import('./wiring/drone.js');
      setExit(dronePipelineCommand(flags, (text) => process.stdout.write(text)));
    });
  drone
    .command('step')
    .description(
      [
        "the Drone pipeline's step on a runner host: runs the run its build's CCCI_* variables name, sends its",
        "events, log and artifacts to serve as they grow, and exits with the run's exit code once all is delivered",
      ].join(' '),
    )
    .option('--deliver-for <duration>', 'how long to keep trying to deliver after the run ended (default 30m)')
    .addOption(configOption())
    .action(async (flags: { config?: string; deliverFor?: string }) => {
      const { droneStepCommand } = await import('./wiring/drone-step.js');
      setExit(await droneStepCommand(flags, secrets));
    });
  program
    .command('demo')
    .description(
      [
        'the whole loop on this machine: testbed swarm, a stand-in forge with a PR, cc-ci serve, a !testme,',
        'the run to its verdict; serves until Ctrl-C (root; a machine you can spare)',
      ].join(' '),
    )
    .option('--pr <name>', 'also open a second PR: "broken", whose upgrade loses data')
    .option('--port <port>', "the dashboard's port on 127.0.0.1", '8080')
    .option(
      '--dir <dir>',
      'where the demo keeps its config, store, logs and screenshots (emptied at start)',
      '/var/lib/cc-ci-testbed/demo',
    )
    .action(async (flags: { pr?: string; port: string; dir: string }) => setExit(await demoCommand(flags)));
  return program;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
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
