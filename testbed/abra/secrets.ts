// `abra app secret generate` and `app new --secrets`: random values for the recipe's secrets, and
// `app secret insert`: a given value; created as swarm secrets `<stack>_<secret>_<version>` (A.2 [V]).
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { App } from './app.js';
import { composeFiles, managedSecrets } from './compose.js';
import { parseEnvLines } from './envfile.js';
import { docker } from './exec.js';
import { fail, info, out } from './log.js';
import { printTable } from './table.js';

const ALPHANUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface GeneratedSecret {
  name: string;
  value: string;
}

function randomValue(length: number): string {
  let s = '';
  for (let i = 0; i < length; i += 1) s += ALPHANUM[randomInt(ALPHANUM.length)];
  return s;
}

export function versionKey(id: string): string {
  return `SECRET_${id.toUpperCase()}_VERSION`;
}

/** Modifiers from the trailing comment of the version line, e.g. `# length=32`. */
function modifiers(app: App, id: string): { length: number; generate: boolean } {
  const line = parseEnvLines(app.envText).find((l) => l.key === versionKey(id));
  const length = /\blength=(\d+)/.exec(line?.comment ?? '');
  return {
    length: length ? Number(length[1]) : 32,
    generate: !/\bgenerate=false\b/.test(line?.comment ?? ''),
  };
}

/** Generate all secrets (`only` undefined) or one secret at a given version. */
export async function generateSecrets(app: App, only?: { id: string; version: string }): Promise<GeneratedSecret[]> {
  const ids = managedSecrets(composeFiles(app));
  if (only !== undefined && !ids.includes(only.id)) fail(`${only.id} is not a secret of ${app.recipe}`);
  const chosen = only !== undefined ? [only.id] : ids.filter((id) => modifiers(app, id).generate);
  const created: GeneratedSecret[] = [];
  for (const id of chosen) {
    const version = only?.version ?? app.env[versionKey(id)] ?? 'v1';
    const value = randomValue(modifiers(app, id).length);
    // the value goes on stdin, never on the command line
    await docker(['secret', 'create', `${app.stack}_${id}_${version}`, '-'], { input: value });
    created.push({ name: id, value });
  }
  return created;
}

/** A NAME/VALUE table, or with -m a JSON array (our guess of abra's machine output). */
export function printSecrets(secrets: GeneratedSecret[], machine: boolean): void {
  if (machine) {
    out(JSON.stringify(secrets));
    return;
  }
  const rows = secrets.map((s) => [s.name, s.value]);
  printTable(['NAME', 'VALUE'], rows);
}

/**
 * `abra app secret insert <domain> <secret> <version> <data> [-f] [-t]`: the caller's value (or, with
 * --file, the content of the file `data` names; --trim drops surrounding whitespace) as the swarm secret
 * `<stack>_<secret>_<version>`. Like the real abra, an existing version fails with Docker's AlreadyExists.
 */
export async function insertSecret(
  app: App,
  id: string,
  version: string,
  data: string,
  opts: { file: boolean; trim: boolean },
): Promise<void> {
  let value = data;
  if (opts.file) {
    try {
      value = readFileSync(data, 'utf8');
    } catch (err) {
      fail(`unable to read ${data}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (opts.trim) value = value.trim();
  // the value goes on stdin, never on docker's command line
  await docker(['secret', 'create', `${app.stack}_${id}_${version}`, '-'], { input: value });
  info(`${id} successfully stored on server`);
}
