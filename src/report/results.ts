// results.json: what a run did and found. Written through the secret registry, so no value
// abra generated or the config holds can reach the file.
import { writeFileSync } from 'node:fs';
import type { RunResults } from '../model/results.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export function writeResults(file: string, results: RunResults, secrets: SecretRegistry): void {
  writeFileSync(file, secrets.redact(JSON.stringify(results, null, 2)) + '\n');
}
