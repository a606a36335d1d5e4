// A run's own folder under the store: one ABRA_DIR per app (recipes/ fresh, servers/ shared with
// the operator's abra so app .env files stay where the janitor looks), the checkout, the log and
// the artifacts.
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertAbraServer } from '../abra/server-entry.js';
import { runFolder, type RunFolder } from '../model/run-folder.js';

/** The run folder (model/run-folder.ts) as the child makes and fills it. */
export interface RunDir extends RunFolder {
  runId: string;
  /** Makes `<dir>/abra-<role>` and returns it and the recipes folder in it. */
  abraDirFor(role: string): { abraDir: string; recipesDir: string };
  /** The artifacts' file names, sorted, with `also` (files about to be written) included. */
  listArtifacts(also: string[]): string[];
}

export function createRunDir(store: string, runId: string, sharedAbraDir: string, server: string): RunDir {
  assertAbraServer(sharedAbraDir, server);
  const folder = runFolder(store, runId);
  const { dir, artifacts } = folder;
  mkdirSync(artifacts, { recursive: true });
  return {
    ...folder,
    runId,
    abraDirFor(role) {
      const abraDir = join(dir, `abra-${role}`);
      const recipesDir = join(abraDir, 'recipes');
      mkdirSync(recipesDir, { recursive: true });
      if (!existsSync(join(abraDir, 'servers'))) symlinkSync(join(sharedAbraDir, 'servers'), join(abraDir, 'servers'));
      if (existsSync(join(sharedAbraDir, 'catalogue')) && !existsSync(join(abraDir, 'catalogue'))) {
        symlinkSync(join(sharedAbraDir, 'catalogue'), join(abraDir, 'catalogue'));
      }
      return { abraDir, recipesDir };
    },
    listArtifacts(also) {
      return [...new Set([...also, ...readdirSync(artifacts)])].sort();
    },
  };
}
