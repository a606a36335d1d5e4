// The spec's data commands (seed, mutate, read) run inside a service of a live app; upgrade and
// backup use them to prove that data survives.
import { randomBytes } from 'node:crypto';
import { RecipeFailure } from '../model/errors.js';
import type { SwarmApi } from '../docker/swarm-api.js';
import type { RecipeSpec } from '../spec/schema.js';

type DataSpec = NonNullable<RecipeSpec['data']>;

export function newMarker(): string {
  return `ccci-${randomBytes(6).toString('hex')}`;
}

/** Where a data command runs: the swarm, the app's stack, and the run's stop signal. */
export interface DataTarget {
  docker: SwarmApi;
  stack: string;
  data: DataSpec;
  signal: AbortSignal;
}

/** Runs one data command; a non-zero exit is the recipe's failure, quoted. */
export async function runData(t: DataTarget, which: 'seed' | 'mutate' | 'read', marker: string): Promise<string> {
  const cmd = t.data[which].map((arg) => arg.replaceAll('{{marker}}', marker));
  const r = await t.docker.execInService(t.stack, t.data.service, cmd, { signal: t.signal });
  if (r.exitCode !== 0) {
    throw new RecipeFailure('DATA_COMMAND_FAILED', `data ${which} in service ${t.data.service} exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`);
  }
  return r.stdout.trim();
}

/** Reads the marker back; anything else is the recipe's failure, with what was read. */
/**
 * Reads the marker back. Once the same read has found the marker (`readBefore`), a read that now
 * fails (its file is gone, say) means the data was lost, not that the spec's command is broken.
 */
export async function expectMarker(t: DataTarget, marker: string, when: string, opts: { readBefore?: boolean } = {}): Promise<string> {
  let value: string;
  try {
    value = await runData(t, 'read', marker);
  } catch (err) {
    if (err instanceof RecipeFailure) throw new RecipeFailure(opts.readBefore ? 'DATA_LOST' : err.code, `${when}: ${err.message}`);
    throw err;
  }
  if (!value.includes(marker)) {
    throw new RecipeFailure('DATA_LOST', `${when}: data read in service ${t.data.service} returned ${JSON.stringify(value.slice(0, 200))}, not the marker ${marker}`);
  }
  return value;
}
