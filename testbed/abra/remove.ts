// `abra app undeploy` and `abra app rm` (A.5 [U]; behaviour from testbed-notes §6).
import { rm } from 'node:fs/promises';
import { loadApp } from './app.js';
import { docker } from './exec.js';
import { fail, info } from './log.js';
import { isDeployed, NAMESPACE_LABEL } from './swarm.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `docker stack rm`, which returns before everything is gone (like the real one, A.8.2 row 15). */
export async function undeployCommand(domain: string, prune: boolean): Promise<void> {
  const app = await loadApp(domain);
  if (!(await isDeployed(app.stack))) fail(`${domain} is not deployed`);
  await docker(['stack', 'rm', app.stack]);
  if (prune) {
    // only what carries this stack's label; never images or other stacks
    await docker(['container', 'prune', '-f', '--filter', `label=${NAMESPACE_LABEL}=${app.stack}`], { check: false });
    await docker(['network', 'prune', '-f', '--filter', `label=${NAMESPACE_LABEL}=${app.stack}`], { check: false });
  }
  info(`undeploy succeeded: ${app.stack}`);
}

async function names(kind: 'secret' | 'config' | 'volume', stack: string): Promise<string[]> {
  const labelled = await docker([kind, 'ls', '--filter', `label=${NAMESPACE_LABEL}=${stack}`, '--format', '{{.Name}}']);
  const all = kind === 'volume' ? '' : (await docker([kind, 'ls', '--format', '{{.Name}}'])).stdout;
  const set = new Set([
    ...labelled.stdout.split('\n'),
    // abra creates secrets without the stack label: match `<stack>_` by name (testbed-notes §6)
    ...all.split('\n').filter((n) => n.startsWith(`${stack}_`)),
  ]);
  return [...set]
    .map((n) => n.trim())
    .filter((n) => n.length > 0)
    .sort();
}

/** A volume stays "in use" until the stack's containers are gone: retry for a while. */
async function removeVolume(name: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const res = await docker(['volume', 'rm', name], { check: false });
    if (res.exitCode === 0) return;
    if (!/in use/.test(res.stderr) || attempt >= 60) fail(res.stderr.trim());
    await sleep(1000);
  }
}

export async function removeCommand(domain: string): Promise<void> {
  const app = await loadApp(domain);
  if (await isDeployed(app.stack)) fail(`${domain} is still deployed. Run "abra app undeploy ${domain}"`);
  for (const s of await names('secret', app.stack)) await docker(['secret', 'rm', s]);
  for (const v of await names('volume', app.stack)) await removeVolume(v);
  for (const c of await names('config', app.stack)) await docker(['config', 'rm', c]);
  await rm(app.envPath, { force: true });
  info(`${domain} removed (${app.envPath}, secrets, volumes, configs)`);
}
