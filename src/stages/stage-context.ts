// What every stage receives: the ports, the run's config and spec, and where to put things.
import type { Config } from '../config/load-config.js';
import type { Abra } from '../abra/abra.js';
import type { AppName } from '../model/app-name.js';
import type { SwarmApi } from '../docker/swarm-api.js';
import type { Logger } from '../log/create-logger.js';
import type { DeployedApp } from '../model/results.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import type { RecipeSpec } from '../spec/schema.js';

export interface StageContext {
  config: Config;
  docker: SwarmApi;
  log: Logger;
  secrets: SecretRegistry;
  /** Aborts when the run is stopped; every wait, exec, request and check listens to it. */
  signal: AbortSignal;
  recipe: string;
  spec: RecipeSpec;
  /** `*.check.ts` files of the recipe's spec folder. */
  customChecks: string[];
  headSha: string;
  /** The head's version from its compose label, when it has one. */
  headVersion?: string;
  /** The ref as asked (for CCCI_VERSION when the head has no version label). */
  ref: string;
  artifactsDir: string;
}

/** One test app of a run: its name, its own ABRA_DIR (and abra) and its own recipe checkout. */
export interface AppHandle {
  name: AppName;
  role: DeployedApp['role'];
  abra: Abra;
  recipeDir: string;
  /** Filled in by deployApp once the stack has converged. */
  deployed?: DeployedApp;
  /** Set by the backup stage before it asks for a backup: teardown then forgets the app's snapshots. */
  backedUp?: boolean;
}
