// abra knows a server once `abra server add` has made `<ABRA_DIR>/servers/<server>/`, where it
// keeps that server's app .env files (docs/abra-contract.md). One rule for the run (before its
// folder is made), `cc-ci serve` (at start-up) and `cc-ci doctor` (its `abra server` check).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CcciError } from '../model/errors.js';

export interface MissingAbraServer {
  /** The folder that is not there. */
  dir: string;
  /** What is wrong, naming the folder. */
  detail: string;
  /** What to do about it. */
  fix: string;
}

export function abraServerDir(abraDir: string, server: string): string {
  return join(abraDir, 'servers', server);
}

/** undefined when abra knows the server; otherwise what is missing and how to add it. */
export function missingAbraServer(abraDir: string, server: string): MissingAbraServer | undefined {
  const dir = abraServerDir(abraDir, server);
  if (isFolder(dir)) return undefined;
  return {
    dir,
    detail: `${dir} does not exist: abra does not know the server "${server}"`,
    fix:
      `ABRA_DIR=${abraDir} abra server add ${server} (--local for this machine; \`cc-ci host reconcile\` ` +
      'adds it too), or set swarm.server / swarm.abraDir to the ones abra uses',
  };
}

/** Throws CONFIG_INVALID (exit 2) when abra does not know the server: every run would be refused. */
export function assertAbraServer(abraDir: string, server: string): void {
  const missing = missingAbraServer(abraDir, server);
  if (missing) {
    throw new CcciError(
      'CONFIG_INVALID',
      `abra server ${JSON.stringify(server)} is not set up: ${missing.detail}. To fix: ${missing.fix}`,
    );
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
