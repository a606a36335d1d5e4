// `abra app new`: copy the recipe's .env.sample to servers/<server>/<domain>.env (A.1 [V]).
// The domain gets in only by replacing `<recipe>.example.com` in the sample's text (as the real
// abra is remembered to do [U]): a sample whose DOMAIN says something else keeps it.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadApp } from './app.js';
import { parseEnvLines, setEnvKey } from './envfile.js';
import { tags } from './git.js';
import { fail, info } from './log.js';
import { requireRecipeDir, serverDir } from './paths.js';
import { generateSecrets, printSecrets } from './secrets.js';

export interface AppNewFlags {
  server: string | undefined;
  domain: string | undefined;
  secrets: boolean;
  chaos: boolean;
  machine: boolean;
}

export async function appNewCommand(recipe: string, version: string | undefined, flags: AppNewFlags): Promise<void> {
  const server = flags.server ?? fail('no server provided (--server/-s)');
  const domain = flags.domain ?? fail('no domain provided (--domain/-D)');
  if (!existsSync(serverDir(server))) fail(`server ${server} does not exist (no ${serverDir(server)})`);
  const dir = requireRecipeDir(recipe);
  const sample = join(dir, '.env.sample');
  if (!existsSync(sample)) fail(`${recipe} has no .env.sample`);
  const envPath = join(serverDir(server), `${domain}.env`);
  if (existsSync(envPath)) fail(`${envPath} already exists`);
  if (version !== undefined && !flags.chaos && !(await tags(dir)).includes(version)) {
    fail(`${version} is not a published version of ${recipe}`);
  }
  let text = await readFile(sample, 'utf8');
  // keep whichever key the sample uses; newer abra records `recipe:version` there (A.2)
  const key = parseEnvLines(text).some((l) => l.key === 'RECIPE') ? 'RECIPE' : 'TYPE';
  const value = version !== undefined && !flags.chaos ? `${recipe}:${version}` : recipe;
  text = setEnvKey(text, key, value, true);
  text = text.replaceAll(`${recipe}.example.com`, domain);
  await writeFile(envPath, text, 'utf8');
  info(`${domain} created on ${server} (${envPath})`);
  if (flags.secrets) printSecrets(await generateSecrets(await loadApp(domain)), flags.machine);
}
