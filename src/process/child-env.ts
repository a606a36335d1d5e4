// The environment of every program cc-ci starts, built in one place. Nothing of cc-ci's own
// environment leaks in (its secrets may be there: CCCI_FORGE_TOKEN, …) except PATH and HOME;
// each caller adds what its program needs (ABRA_DIR, GIT_*, the CCCI_* of recipe tests).
import { secretSpecs } from '../config/secret-sources.js';

/** PATH when cc-ci itself has none: Debian's, sbin included (the testbed scripts run as root). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type BaseEnv = { PATH: string; HOME: string };

/** PATH and HOME from cc-ci's environment (or defaults), then `extra`, which may override HOME. */
export function childEnv<E extends Record<string, string | undefined> = Record<never, never>>(
  extra?: E,
  from: NodeJS.ProcessEnv = process.env,
): BaseEnv & E {
  return { PATH: from.PATH ?? DEFAULT_PATH, HOME: from.HOME ?? '/root', ...extra } as BaseEnv & E;
}

/**
 * The one exception: cc-ci's own child (`cc-ci run`, started by the local executor) gets the
 * server's whole environment, since its config's secrets may come from CCCI_* variables.
 */
export function ccciChildEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...from };
}

/**
 * cc-ci's child under a Drone step (`cc-ci drone step`): the step's environment without the
 * ingest secret, which only the step uses to sign what it sends; the run, and so the recipe's
 * tests under it, never hold it.
 */
export function droneRunChildEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...from };
  delete env[secretSpecs.ingestSecret.envName];
  return env;
}
