// `abra app backup create|snapshots`: abra asks the backup bot (B.4 [U]); this stand-in does
// what the bot would do, after checking a bot is deployed: it runs real restic in the bot's
// container (restic.ts) on the volumes' paths, host paths under the data-root's volumes dir that
// the bot sees at the same path (as backup-bot-two mounts /var/lib/docker/volumes). Snapshots
// are tagged with the stack name.
// Hooks run as backup-bot-two runs them (B.1, [U] as remembered): `bash -c '<hook>'` in the
// service's container, and a failing hook is logged but does not fail the backup or restore.
import { existsSync } from 'node:fs';
import { loadApp, type App } from './app.js';
import { backupPlan, type BackupPlan, type Hook } from './backuplabels.js';
import { ensureRecipe } from './ensure.js';
import { docker } from './exec.js';
import { fail, info, out, warn } from './log.js';
import { backup, ensureRepository, snapshots } from './restic.js';
import { backupBotRunning, runningContainer, stackServices } from './swarm.js';
import { printTable } from './table.js';

/** The deployed app, a running bot and the plan derived from the deployed labels. */
export async function prepare(domain: string, chaos: boolean): Promise<{ app: App; plan: BackupPlan }> {
  const app = await loadApp(domain);
  if (!chaos) await ensureRecipe(app);
  if (!(await backupBotRunning()))
    fail('no backupbot deployed: no running service labelled coop-cloud.backupbot.enabled=true');
  const services = await stackServices(app.stack);
  if (services.length === 0) fail(`${domain} is not deployed`);
  const plan = await backupPlan(app.stack, services);
  await ensureRepository();
  return { app, plan };
}

/** Run hooks inside the service's running container: `docker exec <c> bash -c '<hook>'`; a failure is only logged. */
export async function runHooks(stack: string, hooks: Hook[], what: string): Promise<void> {
  for (const h of hooks) {
    const c = await runningContainer(stack, h.service);
    if (c === undefined) {
      warn(`${what}: no running container for ${stack}_${h.service}; hook not run`);
      continue;
    }
    info(`${what} in ${h.service}: ${h.command}`);
    const res = await docker(['exec', c, 'bash', '-c', h.command], { check: false });
    if (res.exitCode !== 0)
      warn(`${what} failed in ${h.service} (exit ${res.exitCode}): ${(res.stderr || res.stdout).trim()}; carrying on`);
  }
}

export async function backupCreateCommand(domain: string, chaos: boolean): Promise<void> {
  const { app, plan } = await prepare(domain, chaos);
  await runHooks(app.stack, plan.hooks.backupPre, 'backup pre-hook');
  try {
    // after the pre-hooks: they may create what is backed up (a database dump)
    const paths = plan.paths.filter((p) => existsSync(p) || (warn(`${p} does not exist; skipped`), false));
    if (paths.length === 0) fail(`nothing to back up for ${app.stack}`);
    info(`backing up ${paths.join(', ')}`);
    const id = await backup(paths, app.stack);
    info(`backup created: snapshot ${id.slice(0, 8)}`);
  } finally {
    await runHooks(app.stack, plan.hooks.backupPost, 'backup post-hook');
  }
}

export async function snapshotsCommand(domain: string, machine: boolean): Promise<void> {
  const { app } = await prepare(domain, true);
  const list = await snapshots(app.stack);
  if (machine) {
    out(JSON.stringify(list.map((s) => ({ id: s.short_id, time: s.time, paths: s.paths }))));
    return;
  }
  printTable(
    ['ID', 'TIME', 'PATHS'],
    list.map((s) => [s.short_id, s.time, s.paths.join(',')]),
  );
}
