// A run's own folder under the store: its ABRA_DIR (recipes/ fresh, servers/ shared with the
// operator's abra so app .env files stay where the janitor looks), its log and its artifacts.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CcciError } from '../errors.js';

export interface RunDir {
  runId: string;
  dir: string;
  abraDir: string;
  recipesDir: string;
  artifactsDir: string;
  logFile: string;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function createRunDir(store: string, runId: string, sharedAbraDir: string, server: string): RunDir {
  const serverDir = join(sharedAbraDir, 'servers', server);
  if (!existsSync(serverDir)) {
    throw new CcciError('CONFIG_INVALID', `abra server ${JSON.stringify(server)} is not set up: ${serverDir} does not exist (abra server add, or swarm.abraDir)`);
  }
  const dir = join(store, 'runs', runId);
  const abraDir = join(dir, 'abra');
  const recipesDir = join(abraDir, 'recipes');
  const artifactsDir = join(dir, 'artifacts');
  for (const d of [recipesDir, artifactsDir]) mkdirSync(d, { recursive: true });
  symlinkSync(join(sharedAbraDir, 'servers'), join(abraDir, 'servers'));
  if (existsSync(join(sharedAbraDir, 'catalogue'))) symlinkSync(join(sharedAbraDir, 'catalogue'), join(abraDir, 'catalogue'));
  return { runId, dir, abraDir, recipesDir, artifactsDir, logFile: join(artifactsDir, 'run.log') };
}
