// The README's main job for now: make the sample static recipe (a git repository with release
// tags, like custom-html) and run `cc-ci run` on it against the testbed, in the foreground.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFixtureRepos } from './fixtures/make-recipes.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const repos = await makeFixtureRepos(mkdtempSync('/tmp/cc-ci-sample-'), ['custom-html']);
const recipe = repos['custom-html'];
if (!recipe) throw new Error('the custom-html fixture was not made');
const args = [
  join(root, 'dist/src/cli.js'),
  'run',
  'custom-html',
  '--repo',
  recipe.url,
  '--ref',
  'main',
  '--config',
  join(root, 'testbed/cc-ci.yml'),
  ...process.argv.slice(2),
];
process.stderr.write(`$ cc-ci ${args.slice(1).join(' ')}\n`);
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 3);
