// What a backup covers, from the backupbot labels of the deployed services (B.1 [V]):
// backupbot.backup=true on one service; every stack volume unless
// backupbot.backup.volumes.<vol>=false; paths limited by backupbot.backup.volumes.<vol>.path
// (relative, comma-separated) or, older style, backupbot.backup.path (absolute, in the container).
import { join } from 'node:path';
import { docker } from './exec.js';
import { fail, warn } from './log.js';
import { NAMESPACE_LABEL, type ServiceInfo } from './swarm.js';

export interface Hook {
  service: string;
  command: string;
}

export interface BackupPlan {
  /** host paths to back up (volume mountpoints or paths inside them) */
  paths: string[];
  /** every stack volume's mountpoint, to bound what a restore may write */
  mountpoints: string[];
  hooks: Record<'backupPre' | 'backupPost' | 'restorePre' | 'restorePost', Hook[]>;
}

const HOOK_LABELS = {
  backupPre: 'backupbot.backup.pre-hook',
  backupPost: 'backupbot.backup.post-hook',
  restorePre: 'backupbot.restore.pre-hook',
  restorePost: 'backupbot.restore.post-hook',
} as const;

/** Volume name in the compose file -> host mountpoint, for the stack's labelled volumes. */
async function stackVolumes(stack: string): Promise<Map<string, string>> {
  const ls = await docker(['volume', 'ls', '--filter', `label=${NAMESPACE_LABEL}=${stack}`, '--format', '{{.Name}}']);
  const names = ls.stdout
    .split('\n')
    .map((n) => n.trim())
    .filter((n) => n.startsWith(`${stack}_`));
  const map = new Map<string, string>();
  if (names.length === 0) return map;
  const ins = JSON.parse((await docker(['volume', 'inspect', ...names])).stdout) as {
    Name: string;
    Mountpoint: string;
  }[];
  for (const v of ins) map.set(v.Name.slice(stack.length + 1), v.Mountpoint);
  return map;
}

const split = (v: string): string[] =>
  v
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);

/** Old-style absolute container paths mapped onto the volumes mounted there. */
function mapContainerPaths(svc: ServiceInfo, paths: string[], stack: string, vols: Map<string, string>): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const m = svc.mounts
      .filter((x) => p === x.target || p.startsWith(`${x.target.replace(/\/$/, '')}/`))
      .sort((a, b) => b.target.length - a.target.length)[0];
    const mp = m !== undefined ? vols.get(m.source.slice(stack.length + 1)) : undefined;
    if (m === undefined || mp === undefined) warn(`${p} in ${svc.name} is not on a volume of ${stack}; skipped`);
    else out.push(join(mp, p.slice(m.target.length)));
  }
  return out;
}

export async function backupPlan(stack: string, services: ServiceInfo[]): Promise<BackupPlan> {
  const enabled = services.filter((s) => s.labels['backupbot.backup'] === 'true');
  if (enabled.length === 0) fail(`no backupbot.backup label on any service of ${stack}`);
  if (enabled.length > 1) fail(`backupbot.backup=true is set on more than one service of ${stack}`);
  const labels: Record<string, string> = Object.assign({}, ...services.map((s) => s.labels)) as Record<string, string>;
  const vols = await stackVolumes(stack);
  const hooks: BackupPlan['hooks'] = { backupPre: [], backupPost: [], restorePre: [], restorePost: [] };
  for (const s of services) {
    for (const [k, label] of Object.entries(HOOK_LABELS) as [keyof typeof HOOK_LABELS, string][]) {
      const command = s.labels[label];
      if (command !== undefined && command !== '') hooks[k].push({ service: s.service, command });
    }
  }
  const hasVolumePaths = Object.keys(labels).some((k) => /^backupbot\.backup\.volumes\..+\.path$/.test(k));
  const oldStyle = services.find((s) => s.labels['backupbot.backup.path'] !== undefined);
  if (!hasVolumePaths && oldStyle !== undefined) {
    const paths = mapContainerPaths(oldStyle, split(oldStyle.labels['backupbot.backup.path'] ?? ''), stack, vols);
    return { paths, mountpoints: [...vols.values()], hooks };
  }
  const paths: string[] = [];
  for (const [vol, mp] of [...vols].sort()) {
    if (labels[`backupbot.backup.volumes.${vol}`] === 'false') continue;
    const limit = labels[`backupbot.backup.volumes.${vol}.path`];
    if (limit === undefined) paths.push(mp);
    else paths.push(...split(limit).map((p) => join(mp, p)));
  }
  return { paths, mountpoints: [...vols.values()], hooks };
}
