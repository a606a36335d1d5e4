// `cc-ci drone step`: the one step of the runner repository's Drone pipeline, on a runner host
// (docs/drone-ingest.md). It reads the run's parameters from the build's variables, starts the
// run as the child `cc-ci run … --run-id ID --events FILE` with this host's config, ships the
// run's events, log and artifacts to serve as they grow, passes a cancel (SIGTERM) on as the
// child contract's stop, and exits with the run's exit code once everything is delivered (3 when
// something could not be).
import { mkdirSync } from 'node:fs';
import { parseDuration } from '../config/duration.js';
import { loadConfigAsync, type Config } from '../config/load-config.js';
import { runIngestKey } from '../drone/ingest-credential.js';
import { startShipping } from '../drone/ship.js';
import { readStepParams, type StepParams } from '../drone/step-params.js';
import { runArgs, stopRunChild } from '../executors/local/local-executor.js';
import { CcciError } from '../model/errors.js';
import { runFolder, type StopReason } from '../model/run-folder.js';
import { droneRunChildEnv } from '../process/child-env.js';
import { spawnRunChild } from '../process/run-child.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export interface DroneStepFlags {
  config?: string;
  deliverFor?: string;
}

export async function droneStepCommand(flags: DroneStepFlags, secrets: SecretRegistry): Promise<number> {
  const deliverForMs = flags.deliverFor === undefined ? undefined : parseDuration(flags.deliverFor);
  if (deliverForMs === undefined && flags.deliverFor !== undefined)
    throw new CcciError(
      'USAGE',
      `--deliver-for: expected a duration like "30m", got ${JSON.stringify(flags.deliverFor)}`,
    );
  const params = readStepParams(process.env);
  const config = await loadConfigAsync({ path: flags.config, secrets });
  return runDroneStep({
    params,
    config,
    secrets,
    env: process.env,
    deliverForMs,
    say: (line) => process.stdout.write(`${secrets.redact(line)}\n`),
  });
}

export interface DroneStepOptions {
  params: StepParams;
  config: Config;
  secrets: SecretRegistry;
  /** The step's environment; the child gets it without the ingest secret. */
  env: NodeJS.ProcessEnv;
  /** The cc-ci entry point the child runs (default: this build's cli.js); tests hand in a stand-in. */
  cli?: string;
  deliverForMs?: number;
  /** Retry pauses of the shipper (tests make them short). */
  retryDelay?: (n: number) => number;
  /** A line of the step's output, Drone's build log (already masked by the caller). */
  say: (line: string) => void;
}

export async function runDroneStep(o: DroneStepOptions): Promise<number> {
  const { params, config } = o;
  const secret = config.secrets.ingestSecret;
  if (!secret)
    throw new CcciError(
      'CONFIG_INVALID',
      'no ingest secret: the step signs what it sends to serve with it; give the runner repository the Drone ' +
        "secret ccci_ingest_secret (the pipeline hands it over as CCCI_INGEST_SECRET), equal to serve's " +
        'runner.drone.ingestSecretFile (docs/drone-ingest.md)',
    );
  const key = runIngestKey(secret, params.id);
  // Neither the shared secret nor the run's key ever reaches the step's output.
  o.secrets.add(secret);
  o.secrets.add(key.toString('hex'));
  const folder = runFolder(config.store, params.id);
  mkdirSync(folder.dir, { recursive: true });
  const child = spawnRunChild(process.execPath, runArgs(params, folder, config.path, o.cli), {
    env: droneRunChildEnv(o.env),
    outputFile: folder.childOutput,
  });
  const where = params.runner ? ` on runner ${params.runner}` : '';
  const build = params.build ? ` (Drone build ${params.build})` : '';
  o.say(`run ${params.id} of ${params.recipe}${where}${build} started; its files go to ${params.serveUrl}`);

  let stopped = false;
  const stop = (why: string, reason: StopReason) => {
    if (stopped) return o.say(`${why}: run ${params.id} is stopping already`);
    stopped = true;
    o.say(`${why}: stopping run ${params.id}; it tears down, then what it wrote is delivered`);
    stopRunChild(params.id, folder, child, reason, o.say);
  };
  const onSignal = (sig: NodeJS.Signals) =>
    stop(sig, { code: 'CANCELLED', message: `the Drone build was cancelled (its step got ${sig})` });
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  try {
    const shipper = startShipping({
      folder,
      target: {
        serveUrl: params.serveUrl,
        runId: params.id,
        key,
        userAgent: `cc-ci drone step${where}${build}`,
      },
      say: o.say,
      deliverForMs: o.deliverForMs,
      retryDelay: o.retryDelay,
      // serve's executor stopped the run (cancel, supersede, time limit): with serve's reason.
      onStop: (reason) => stop(`serve asks for a stop (${reason.code})`, reason),
    });
    const exit = await child.exited;
    const code = exit.code ?? 3;
    o.say(`run ${params.id} ended (exit ${exit.code ?? exit.signal}); delivering what is left to serve`);
    const outcome = await shipper.finish();
    if (!outcome.delivered) {
      o.say(
        `run ${params.id}: could not deliver ${outcome.undelivered.join(', ')} to ${params.serveUrl} ` +
          `(${outcome.why}); the files stay in ${folder.dir} on this host`,
      );
      return 3;
    }
    o.say(`run ${params.id}: everything was delivered`);
    return code;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
