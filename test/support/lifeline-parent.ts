// A process that starts `lifeline-run.ts` the way `cc-ci drone step` starts `cc-ci run` (a child
// in its own process group whose stdin is this process's pipe), prints the child's pid, and then
// waits to be killed: argv: <store dir> <output file>.
import { fileURLToPath } from 'node:url';
import { spawnRunChild } from '../../src/process/run-child.js';

const [storeDir, outputFile] = process.argv.slice(2) as [string, string];
const run = fileURLToPath(new URL('./lifeline-run.ts', import.meta.url));
const child = spawnRunChild(process.execPath, ['--import', 'tsx', run, storeDir], {
  env: process.env,
  outputFile,
  lifeline: true,
});
process.stdout.write(`${child.pid}\n`);
setInterval(() => undefined, 60_000);
