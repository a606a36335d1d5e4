// results.json: what a run did and found. Written through the secret registry, so no value
// abra generated or the config holds can reach the file.
import { writeFileSync } from 'node:fs';
import type { StageResult, Verdict } from '../model/stage.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export const RESULTS_SCHEMA_VERSION = 1;

export interface DeployedApp {
  role: 'install' | 'upgrade';
  domain: string;
  stack: string;
  /** The `coop-cloud.<stack>.version` label on the app service. */
  version?: string;
  /** The `coop-cloud.<stack>.chaos-version` label: the deployed commit (8 hex, `+U` when dirty). */
  chaosVersion?: string;
}

export interface RunResults {
  schemaVersion: number;
  runId: string;
  recipe: string;
  repo: string;
  ref: string;
  headSha?: string;
  versions: { base?: string; head?: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  stages: StageResult[];
  level: number;
  verdict: Verdict;
  apps: DeployedApp[];
  teardown: { clean: boolean; left: string[]; durationMs: number; keptUntil?: string };
  /** Why the run could not reach a recipe verdict, when it could not. */
  error?: string;
  artifacts: string[];
}

export function writeResults(file: string, results: RunResults, secrets: SecretRegistry): void {
  writeFileSync(file, secrets.redact(JSON.stringify(results, null, 2)) + '\n');
}
