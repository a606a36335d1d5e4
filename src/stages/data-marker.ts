// The spec's data commands (seed, mutate, read) run inside a service of a live app; upgrade and
// backup use them to prove that data survives.
import { randomBytes } from 'node:crypto';
import { RecipeFailure } from './deploy-app.js';
import type { RecipeSpec } from '../spec/schema.js';
import type { SwarmDocker } from '../harness/docker.js';

type DataSpec = NonNullable<RecipeSpec['data']>;

export function newMarker(): string {
  return `ccci-${randomBytes(6).toString('hex')}`;
}

/** Runs one data command; a non-zero exit is the recipe's failure, quoted. */
export async function runData(docker: SwarmDocker, stack: string, data: DataSpec, which: 'seed' | 'mutate' | 'read', marker: string): Promise<string> {
  const cmd = data[which].map((arg) => arg.replaceAll('{{marker}}', marker));
  const r = await docker.execInService(stack, data.service, cmd);
  if (r.exitCode !== 0) {
    throw new RecipeFailure(`data ${which} in service ${data.service} exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`);
  }
  return r.stdout.trim();
}

/** Reads the marker back; anything else is the recipe's failure, with what was read. */
export async function expectMarker(docker: SwarmDocker, stack: string, data: DataSpec, marker: string, when: string): Promise<string> {
  let value: string;
  try {
    value = await runData(docker, stack, data, 'read', marker);
  } catch (err) {
    if (err instanceof RecipeFailure) throw new RecipeFailure(`${when}: ${err.message}`);
    throw err;
  }
  if (!value.includes(marker)) {
    throw new RecipeFailure(`${when}: data read in service ${data.service} returned ${JSON.stringify(value.slice(0, 200))}, not the marker ${marker}`);
  }
  return value;
}
