// What the HTTP server's routes receive: the config, the store (read), the run control (write),
// metrics, and the secrets for masking.
import type { EnrolledRepos } from '../config/enrolment.js';
import type { Config } from '../config/load-config.js';
import type { ForgeWebhooks } from '../forge/forge.js';
import type { Logger } from '../log/create-logger.js';
import type { Clock } from '../model/clock.js';
import type { RunControl } from '../queue/run-control.js';
import type { RunStore } from '../queue/store.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import type { ForgeBridge } from '../trigger/bridge.js';
import type { RepoPollHealth } from '../trigger/poller.js';
import type { Registry } from 'prom-client';
import type { AuthBackoff } from './auth-backoff.js';
import type { DiskUse } from './disk-use.js';
import type { LiveLogs } from './live-logs.js';

export interface Metrics {
  registry: Registry;
  /** The janitor reaped n test apps. */
  reaped(n: number): void;
  /** Stops listening to run changes (server shutdown). */
  close(): void;
}

export interface ServerDeps {
  config: Config;
  store: RunStore;
  runs: RunControl;
  secrets: SecretRegistry;
  log: Logger;
  metrics: Metrics;
  /** Every recipe cc-ci knows (enrolled repos and spec folders); badges of others are 404. */
  recipes: () => string[];
  /** The enrolled repositories now (forge.repos and its orgs' recipes); default: the ones forge.repos lists. */
  enrolled?: Pick<EnrolledRepos, 'has' | 'list'>;
  /** The forge bridge, when a forge is configured: POST /hook hands comments to it. */
  bridge?: Pick<ForgeBridge, 'handle'>;
  /** Default-branch runs on push (forge.pushRuns): POST /hook hands a push to the default branch to it. */
  pushes?: { check(repo: string): Promise<unknown> };
  /** The forge's webhook reader; POST /hook needs it, the bridge and forge.webhookSecretFile. */
  webhooks?: ForgeWebhooks;
  /** Slows down an address after repeated wrong admin tokens (buildServer makes one when none is given). */
  authBackoff?: AuthBackoff;
  /** The live logs' tails and caps (buildServer makes one when none is given). */
  liveLogs?: LiveLogs;
  /** The time a webhook delivery's age is measured against (default: the system's). */
  clock?: Clock;
  /** How polling each enrolled repository goes (/healthz, the overview), when the trigger is on. */
  forgeRepos?: () => RepoPollHealth[];
  /** The store's and Docker's disk use (/healthz and the overview warn below dashboard.minFreeSpace). */
  disk?: DiskUse;
}
