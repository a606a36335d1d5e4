// The spec's data commands (seed, mutate, read) run inside a service of a live app; upgrade and
// backup use them to prove that data survives. What they return is reported as facts (a command
// failed, the marker is not there); blame.ts judges them.
import { randomBytes } from 'node:crypto';
import { errorMessage, FactError } from '../model/errors.js';
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

/** Runs one data command; a non-zero exit is reported, quoted. */
export async function runData(t: DataTarget, which: 'seed' | 'mutate' | 'read', marker: string): Promise<string> {
  const cmd = t.data[which].map((arg) => arg.replaceAll('{{marker}}', marker));
  const r = await t.docker.execInService(t.stack, t.data.service, cmd, { signal: t.signal });
  if (r.exitCode !== 0) {
    const said = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
    const message = `data ${which} in service ${t.data.service} exited ${r.exitCode}: ${said}`;
    throw new FactError({ source: 'data', what: 'command-failed' }, message);
  }
  return r.stdout.trim();
}

/**
 * Reads the marker back; anything else is reported with what was read. A read that fails is
 * reported with `readBefore` (the same read found the marker earlier): then its file being gone,
 * say, means the data was lost, not that the spec's command is broken.
 */
export async function expectMarker(
  t: DataTarget,
  marker: string,
  when: string,
  opts: { readBefore?: boolean } = {},
): Promise<string> {
  let value: string;
  try {
    value = await runData(t, 'read', marker);
  } catch (err) {
    const fact = { source: 'data', what: 'read-failed', readBefore: opts.readBefore === true } as const;
    throw new FactError(fact, `${when}: ${errorMessage(err)}`, { cause: err });
  }
  if (!value.includes(marker)) {
    const read = JSON.stringify(value.slice(0, 200));
    throw new FactError(
      { source: 'data', what: 'marker-mismatch' },
      `${when}: data read in service ${t.data.service} returned ${read}, not the marker ${marker}`,
    );
  }
  return value;
}
