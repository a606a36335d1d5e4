// `cc-ci run`: one run in the foreground (and the child the local executor starts). Opens the
// session, hands the runner its ports, prints the outcome and returns the exit code (0 pass,
// 1 fail, 2 refused, 3 error).
import { loadConfigAsync } from '../config/load-config.js';
import { errorInfo, errorMessage } from '../model/errors.js';
import { runRecipe } from '../runner/run-recipe.js';
import { openRunSession } from '../runner/session.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { refuseCredentials } from '../validate/input.js';
import { abraPort, clockPort, dockerPort, leasePort } from './ports.js';

export interface RunFlags {
  ref: string;
  sha?: string;
  repo?: string;
  stages?: string;
  quick?: boolean;
  keep?: boolean;
  json?: boolean;
  config?: string;
  runId?: string;
  events?: string;
  /** Stop (CANCELLED) when stdin closes: the process that started the run is gone. */
  lifeline?: boolean;
}

export async function runCommand(recipe: string, flags: RunFlags, secrets: SecretRegistry): Promise<number> {
  const config = await loadConfigAsync({ path: flags.config, secrets });
  // Before the run has a folder: credentials in --repo would otherwise be written to its events and results.
  if (flags.repo !== undefined) refuseCredentials(flags.repo);
  // From here on a run has a folder, a log and stop handlers; whatever happens ends in results.
  const session = openRunSession({
    config,
    secrets,
    runId: flags.runId,
    events: flags.events,
    lifeline: flags.lifeline === true,
  });
  const { log, runDir } = session;
  try {
    const docker = dockerPort(config);
    const lease = leasePort(config, session.runId, { onError: (message) => log.warn(message), clock: clockPort() });
    const { results, exitCode } = await runRecipe(
      {
        recipe,
        ref: flags.ref,
        sha: flags.sha,
        repo: flags.repo,
        stages: flags.stages,
        quick: flags.quick,
        keep: flags.keep,
      },
      {
        config,
        secrets,
        log,
        docker,
        lease,
        events: session.events,
        signal: session.signal,
        runDir,
        makeAbra: (abraDir) => abraPort(config, { abraDir, onLine: (line) => log.info({ src: 'abra' }, line) }),
      },
    );
    const { verdict, level, recipe: name, ref } = results;
    if (flags.json) process.stdout.write(secrets.redact(JSON.stringify(results, null, 2)) + '\n');
    else if (exitCode !== 2) {
      const at = results.headSha ? ` (${results.headSha.slice(0, 8)})` : '';
      process.stdout.write(`${verdict} L${level} ${name}@${ref}${at} — ${runDir.results}\n`);
    }
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
