// The generated override compose file, written outside the recipe tree (so a pinned deploy's
// clean-tree check and the recipe itself are untouched) and passed as the last `-c`.
// It carries abra's deploy labels on `app` (A.3) and, as a property of this testbed only,
// dnsrr endpoints and host-mode ports when the kernel has no IPVS (testbed-notes pitfall 5).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { StackConfig } from './compose.js';

export function kernelHasIpvs(): boolean {
  return existsSync('/proc/net/ip_vs');
}

interface OverrideService {
  deploy?: { endpoint_mode?: string; labels?: Record<string, string> };
  ports?: Record<string, unknown>[];
}

/** Build the override document from the merged config. */
export function buildOverride(
  config: StackConfig,
  appLabels: Record<string, string>,
  noIpvs: boolean,
): Record<string, unknown> {
  const services: Record<string, OverrideService> = {};
  for (const [name, svc] of Object.entries(config.services ?? {})) {
    const o: OverrideService = {};
    if (noIpvs) {
      o.deploy = { endpoint_mode: 'dnsrr' };
      if (svc.ports && svc.ports.length > 0) o.ports = svc.ports.map((p) => ({ ...p, mode: 'host' }));
    }
    if (name === 'app' && Object.keys(appLabels).length > 0) o.deploy = { ...o.deploy, labels: appLabels };
    if (Object.keys(o).length > 0) services[name] = o;
  }
  return { version: '3.8', services };
}

/** Write the override into a fresh temp dir; the caller removes it with the returned function. */
export async function writeOverride(
  doc: Record<string, unknown>,
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'abra-testbed-'));
  const path = join(dir, 'compose.testbed.yml');
  await writeFile(path, stringify(doc), 'utf8');
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
