// Executors by name (runner.executor): a new executor is a folder beside local/ and one line
// here. A name the config allows that has no line here yet is refused at start.
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log/create-logger.js';
import type { Clock } from '../model/clock.js';
import { CcciError } from '../model/errors.js';
import type { Executor } from './executor.js';
import { createDroneClient } from '../drone/client.js';
import { droneBuilds } from '../drone/builds.js';
import { droneExecutor } from './drone/drone-executor.js';
import { localExecutor } from './local/local-executor.js';

export interface ExecutorContext {
  config: Config;
  log: Logger;
  clock: Clock;
}

export type ExecutorFactory = (ctx: ExecutorContext) => Executor;

type ExecutorName = Config['runner']['executor'];

const executors: Partial<Record<ExecutorName, ExecutorFactory>> = {
  local: ({ config, log, clock }) => localExecutor({ storeDir: config.store, configPath: config.path, log, clock }),
  drone: ({ config, log, clock }) => {
    // The schema refuses executor: drone without runner.drone and its token.
    const drone = config.runner.drone!;
    const client = createDroneClient({
      url: drone.url,
      token: config.secrets.droneToken ?? '',
      repo: drone.repo,
      log: (line) => log.warn({ src: 'drone' }, line),
    });
    return droneExecutor({
      storeDir: config.store,
      builds: droneBuilds(client, drone.branch),
      serveUrl: config.dashboard.publicUrl,
      defaultStages: config.runner.stages,
      silenceLimitMs: drone.silenceLimit,
      log,
      clock,
    });
  },
};

/** The executor runner.executor names; CONFIG_INVALID when it is not built yet. */
export function createExecutor(ctx: ExecutorContext): Executor {
  const make = executors[ctx.config.runner.executor];
  if (!make) {
    const built = Object.keys(executors).map((name) => JSON.stringify(name));
    const are = built.length === 1 ? 'is' : 'are';
    throw new CcciError('CONFIG_INVALID', `runner.executor: only ${built.join(', ')} ${are} built so far`);
  }
  return make(ctx);
}
