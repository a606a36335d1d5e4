// What a run is handed: the config, the ports (Docker, abra, the lease) and the session's log,
// events, stop signal and folder. Production wiring builds it in cli.ts; tests hand in fakes.
import type { Abra } from '../abra/abra.js';
import type { RunLease } from '../apps/lease.js';
import type { Config } from '../config/load-config.js';
import type { SwarmApi } from '../docker/swarm-api.js';
import type { Logger } from '../log/create-logger.js';
import type { RunEvents } from '../model/run-events.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import type { RunDir } from './run-dir.js';
import type { StageDef } from './stage-table.js';

export interface RunDeps {
  config: Config;
  secrets: SecretRegistry;
  log: Logger;
  docker: SwarmApi;
  /** An abra bound to one ABRA_DIR. */
  makeAbra: (abraDir: string) => Abra;
  lease: RunLease;
  events: RunEvents;
  signal: AbortSignal;
  runDir: RunDir;
  /** The lifecycle; tests hand in their own stages. */
  stages?: readonly StageDef[];
}
