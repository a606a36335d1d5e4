// The backstop of teardown: finds test apps (by name pattern, from the shared abra servers/ dir
// and from the swarm, so apps whose .env is gone are found too) that no live lease owns and that
// are older than the given age, and tears them down.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Abra } from './abra.js';
import { stackName, testAppPattern } from './app-name.js';
import type { SwarmDocker } from './docker.js';
import { readLeases } from './lease.js';
import { teardownApp } from './teardown.js';

export interface JanitorOptions {
  abra: Abra;
  docker: SwarmDocker;
  store: string;
  /** The shared abra dir's servers/<server> folder, where app .env files live. */
  serverDir: string;
  swarmDomain: string;
  maxAgeMs: number;
  log: (line: string) => void;
  now?: number;
}

export interface JanitorReport {
  reaped: Array<{ domain: string; left: string[] }>;
  keptLive: string[];
  keptYoung: string[];
}

export async function runJanitor(opts: JanitorOptions): Promise<JanitorReport> {
  const now = opts.now ?? Date.now();
  const pattern = testAppPattern(opts.swarmDomain);
  const leases = readLeases(opts.store, now);
  const owned = new Set(leases.filter((l) => l.live || (l.keepUntil && Date.parse(l.keepUntil) > now)).flatMap((l) => l.apps));
  const candidates = new Map<string, number>(); // domain -> created (ms)
  for (const file of listEnvFiles(opts.serverDir)) {
    const domain = file.name.slice(0, -'.env'.length);
    if (pattern.domain.test(domain)) candidates.set(domain, Math.min(candidates.get(domain) ?? Infinity, file.mtimeMs));
  }
  for (const [stack, created] of await opts.docker.stacks()) {
    if (!pattern.stack.test(stack)) continue;
    const domain = domainOf(stack, opts.swarmDomain);
    candidates.set(domain, Math.min(candidates.get(domain) ?? Infinity, created));
  }
  const report: JanitorReport = { reaped: [], keptLive: [], keptYoung: [] };
  for (const [domain, created] of candidates) {
    if (owned.has(domain)) { report.keptLive.push(domain); continue; }
    if (now - created < opts.maxAgeMs) { report.keptYoung.push(domain); continue; }
    opts.log(`reaping ${domain} (no live run owns it, ${Math.round((now - created) / 1000)} s old)`);
    try {
      const result = await teardownApp({ abra: opts.abra, docker: opts.docker, domain, stack: stackName(domain), log: opts.log });
      report.reaped.push({ domain, left: result.left });
    } catch (err) {
      report.reaped.push({ domain, left: [`teardown failed: ${errorMessage(err)}`] });
    }
  }
  // Leases of dead runs whose apps are all gone are no longer needed.
  for (const lease of leases) {
    if (!lease.live && !(lease.keepUntil && Date.parse(lease.keepUntil) > now)) rmSync(lease.path, { force: true });
  }
  return report;
}

/** The domain of a test stack: `abcd-123456_ci_test` -> `abcd-123456.ci.test`. */
function domainOf(stack: string, swarmDomain: string): string {
  const suffix = `_${stackName(swarmDomain)}`;
  return `${stack.slice(0, -suffix.length)}.${swarmDomain}`;
}

function listEnvFiles(dir: string): Array<{ name: string; mtimeMs: number }> {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.env')).map((name) => ({ name, mtimeMs: statSync(join(dir, name)).mtimeMs }));
  } catch {
    return [];
  }
}
