// The demo's cc-ci.yml: the testbed's config (testbed/cc-ci.yml) with the demo's own store, the
// dashboard on 127.0.0.1, and the stand-in forge with its bot token and a 1 s poll. Secrets go
// to files readable by root only, as on a real server.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export interface DemoConfig {
  file: string;
  store: string;
  adminToken: string;
  publicUrl: string;
}

export function writeDemoConfig(opts: {
  root: string;
  dir: string;
  port: number;
  forgeUrl: string;
  repo: string;
  org: string;
  botToken: string;
}): DemoConfig {
  const doc = parse(readFileSync(join(opts.root, 'testbed/cc-ci.yml'), 'utf8'));
  const secret = (name: string, value: string) => {
    const file = join(opts.dir, name);
    writeFileSync(file, `${value}\n`, { mode: 0o600 });
    return file;
  };
  const adminToken = randomBytes(16).toString('hex');
  const store = join(opts.dir, 'store');
  const publicUrl = `http://127.0.0.1:${opts.port}`;
  doc.swarm.abra = join(opts.root, 'testbed/bin/abra');
  doc.recipesDir = join(opts.root, 'testbed/fixtures/specs');
  doc.store = store;
  doc.dashboard = { listen: `127.0.0.1:${opts.port}`, publicUrl, adminTokenFile: secret('admin-token', adminToken) };
  doc.forge = {
    type: 'gitea',
    url: opts.forgeUrl,
    org: opts.org,
    repos: [opts.repo],
    pollInterval: '1s',
    // The demo queues its own default-branch run (and says so); a push run would be a second one.
    pushRuns: false,
    tokenFile: secret('forge-token', opts.botToken),
  };
  const file = join(opts.dir, 'cc-ci.yml');
  writeFileSync(file, `# Written by cc-ci demo; see testbed/cc-ci.yml and docs/install.md.\n${stringify(doc)}`);
  return { file, store, adminToken, publicUrl };
}
