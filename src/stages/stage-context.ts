// What every stage receives: the ports (abra, docker), the run's config, and where to put things.
import type { Config } from '../config/load-config.js';
import type { Abra } from '../harness/abra.js';
import type { SwarmDocker } from '../harness/docker.js';
import type { Logger } from '../log/create-logger.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export interface StageContext {
  config: Config;
  abra: Abra;
  docker: SwarmDocker;
  log: Logger;
  secrets: SecretRegistry;
  signal: AbortSignal;
  recipe: string;
  /** The recipe checkout abra deploys from, at the head commit. */
  recipeDir: string;
  headSha: string;
  artifactsDir: string;
}
