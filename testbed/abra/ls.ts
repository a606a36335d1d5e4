// `abra app ls` (JSON shape from interfaces.md A.5 [U]) and `abra app ps`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadApp, type App } from './app.js';
import { tags } from './git.js';
import { out } from './log.js';
import { listAppDomains, listServers } from './paths.js';
import { stackServices } from './swarm.js';
import { printTable } from './table.js';
import { compareVersions, newest, parseVersion } from './version.js';

interface AppRow {
  server: string;
  recipe: string;
  appName: string;
  domain: string;
  status: string;
  chaos: string;
  chaosVersion: string;
  autoUpdate: string;
  version: string;
  upgrade: string;
}

/** Newest release above `version`, or "latest". */
async function upgradeFor(app: App, version: string): Promise<string> {
  if (!existsSync(join(app.recipeDir, '.git'))) return 'latest';
  const top = newest(await tags(app.recipeDir));
  const cur = parseVersion(version);
  const best = top !== undefined ? parseVersion(top) : undefined;
  return best !== undefined && cur !== undefined && compareVersions(best, cur) > 0 ? best.raw : 'latest';
}

async function appRow(app: App, status: boolean): Promise<AppRow> {
  const row: AppRow = {
    server: app.server,
    recipe: app.recipe,
    appName: app.stack,
    domain: app.domain,
    status: 'unknown',
    chaos: 'false',
    chaosVersion: '',
    autoUpdate: 'false',
    version: app.envVersion ?? 'unknown',
    upgrade: 'latest',
  };
  if (!status) return row;
  const services = await stackServices(app.stack);
  row.status = services.length > 0 ? 'deployed' : 'undeployed';
  const labels = services.find((s) => s.service === 'app')?.labels ?? {};
  const p = `coop-cloud.${app.stack}`;
  row.chaos = labels[`${p}.chaos`] ?? 'false';
  row.chaosVersion = labels[`${p}.chaos-version`] ?? '';
  row.autoUpdate = labels[`${p}.autoupdate`] ?? 'false';
  if (services.length > 0) row.version = labels[`${p}.version`] ?? 'unknown';
  row.upgrade = await upgradeFor(app, row.version);
  return row;
}

export interface LsFlags {
  server: string | undefined;
  recipe: string | undefined;
  status: boolean;
  machine: boolean;
}

export async function lsCommand(flags: LsFlags): Promise<void> {
  const result: Record<string, Record<string, unknown>> = {};
  const human: string[][] = [];
  for (const server of listServers().filter((s) => flags.server === undefined || s === flags.server)) {
    const apps: AppRow[] = [];
    for (const domain of listAppDomains(server)) {
      const app = await loadApp(domain).catch(() => undefined);
      if (app === undefined || app.server !== server) continue;
      if (flags.recipe !== undefined && app.recipe !== flags.recipe) continue;
      apps.push(await appRow(app, flags.status));
    }
    if (apps.length === 0 && flags.server === undefined) continue;
    const versioned = apps.filter((a) => a.version !== 'unknown');
    result[server] = {
      apps,
      appCount: apps.length,
      versionCount: versioned.length,
      unversionedCount: apps.length - versioned.length,
      latestCount: versioned.filter((a) => a.upgrade === 'latest').length,
      upgradeCount: versioned.filter((a) => a.upgrade !== 'latest').length,
    };
    for (const a of apps) human.push([a.server, a.recipe, a.domain, a.status, a.version, a.chaosVersion, a.upgrade]);
  }
  if (flags.machine) out(JSON.stringify(result));
  else printTable(['SERVER', 'RECIPE', 'DOMAIN', 'STATUS', 'VERSION', 'CHAOS', 'UPGRADE'], human);
}

/** The stack's services with replicas; the JSON shape is our guess. */
export async function psCommand(domain: string, machine: boolean): Promise<void> {
  const app = await loadApp(domain);
  const services = await stackServices(app.stack);
  const rows = services.map((s) => ({
    service: s.service,
    name: s.name,
    image: s.image,
    mode: s.mode,
    replicas: s.replicas,
    running: s.running,
    desired: s.desired,
    updateState: s.updateState,
  }));
  if (machine) out(JSON.stringify(rows));
  else
    printTable(
      ['SERVICE', 'IMAGE', 'MODE', 'REPLICAS', 'UPDATE'],
      rows.map((r) => [r.service, r.image, r.mode, r.replicas, r.updateState]),
    );
}
