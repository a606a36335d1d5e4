// `cc-ci host reconcile --profile testbed` against the testbed's own Docker (testbed/up must have
// run): from the testbed's state it reports a line a step and ends with nothing drifting; a second
// run changes nothing; a removed network or janitor timer is named by --check (exit 1) and put back
// by reconcile; a renewed wildcard certificate is rotated (the next secret version) and served. It
// keeps to the testbed's domain (ci.test), so its traefik is the testbed's one and its certificate
// the testbed's (the same files, kept as they are), with a proxy network and a units folder of its
// own: removing those disturbs no other file. Removing the traefik stack (and serving another
// certificate) takes the ingress from every other file, so this file runs last and alone
// (vitest.config.ts, e2e-last).
import { existsSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import tls from 'node:tls';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { docker, lane, repoRoot, runCli, testbedConfig, waitFor } from './helpers.js';

const TLS = '/var/lib/cc-ci-testbed/tls';
const network = `ccci-e2e-${lane.name}`;
const dir = mkdtempSync(`/tmp/cc-ci-e2e-${lane.name}-units-`);
const unitsDir = join(dir, 'units');

/** The testbed's config (its domain, abra, abraDir), with this file's store, network and certificate paths. */
function reconcileConfig(
  tls = { certFile: join(TLS, 'wildcard.pem'), keyFile: join(TLS, 'wildcard-key.pem') },
): string {
  const doc = parse(readFileSync(testbedConfig, 'utf8'));
  doc.swarm.abra = join(repoRoot, 'testbed/bin/abra');
  doc.swarm.ingressCa = join(TLS, 'ca.pem');
  doc.store = lane.store;
  doc.host = {
    ...doc.host,
    ...tls,
    proxyNetwork: network,
  };
  const file = join(dir, `cc-ci-${createHash('sha1').update(tls.certFile).digest('hex').slice(0, 8)}.yml`);
  writeFileSync(file, stringify(doc));
  return file;
}

const config = reconcileConfig();
const reconcileWith = (cfg: string, ...flags: string[]) =>
  runCli([
    'host',
    'reconcile',
    '--profile',
    'testbed',
    '--self-signed',
    '--units-dir',
    unitsDir,
    ...flags,
    '--config',
    cfg,
  ]);
const reconcile = (...flags: string[]) =>
  runCli([
    'host',
    'reconcile',
    '--profile',
    'testbed',
    '--self-signed',
    '--units-dir',
    unitsDir,
    ...flags,
    '--config',
    config,
  ]);
const line = (stdout: string, step: string) =>
  stdout.split('\n').find((l) => new RegExp(`^\\w+ +${step}:`).test(l)) ?? '';
const steps = ['docker', 'swarm', 'network', 'abra', 'tls', 'traefik', 'backup-bot', 'store', 'units'];

afterAll(async () => {
  // The network this file's config made (nothing else uses it).
  await execa('docker', ['network', 'rm', network], { reject: false });
});

describe('cc-ci host reconcile (testbed profile)', () => {
  it('from the testbed as it is: a line a step, nothing failed, exit 0', async () => {
    const r = await reconcile();
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    for (const step of steps) expect(line(r.stdout, step), step).toMatch(/^(ok|changed) /);
    expect(line(r.stdout, 'swarm')).toMatch(/^ok +swarm: a single-node swarm/);
    expect(line(r.stdout, 'traefik')).toMatch(/traefik\.ci\.test/);
    expect(r.stdout).toMatch(/^host reconcile: 9 steps, \d+ ok, \d+ changed, 0 failed$/m);
  }, 300_000);

  it('a second run changes nothing, and --check agrees (exit 0)', async () => {
    const r = await reconcile();
    expect(r.stdout, r.stdout + r.stderr).toMatch(/^host reconcile: 9 steps, 9 ok, 0 changed, 0 failed$/m);
    const check = await reconcile('--check');
    expect(check.exitCode, check.stdout).toBe(0);
    expect(check.stdout).toMatch(/^host check: 9 steps, 9 ok, 0 drift, 0 failed$/m);
  }, 300_000);

  it('a removed network and janitor timer: --check names each (exit 1), reconcile puts them back', async () => {
    await execa('docker', ['network', 'rm', network]);
    unlinkSync(join(unitsDir, 'cc-ci-janitor.timer'));
    const check = await reconcile('--check');
    expect(check.exitCode, check.stdout).toBe(1);
    expect(line(check.stdout, 'network')).toMatch(new RegExp(`^drift +network: no network ${network}`));
    expect(line(check.stdout, 'units')).toMatch(/^drift +units: cc-ci-janitor.timer missing/);
    expect(existsSync(join(unitsDir, 'cc-ci-janitor.timer'))).toBe(false);
    const fixed = await reconcile();
    expect(fixed.exitCode, fixed.stdout).toBe(0);
    expect(line(fixed.stdout, 'network')).toMatch(/^changed /);
    expect(line(fixed.stdout, 'units')).toMatch(/^changed /);
    expect((await reconcile('--check')).exitCode).toBe(0);
  }, 300_000);

  it('a removed traefik stack: --check names it (exit 1), reconcile deploys it again through abra', async () => {
    const stack = 'traefik_ci_test';
    await execa('docker', ['stack', 'rm', stack]);
    await waitFor('the traefik stack to be gone', async () =>
      (await docker.services(stack)).length === 0 ? true : undefined,
    );
    const check = await reconcile('--check');
    expect(check.exitCode, check.stdout).toBe(1);
    expect(line(check.stdout, 'traefik')).toMatch(/^drift +traefik: .*stack traefik_ci_test not deployed/);
    const fixed = await reconcile();
    expect(fixed.exitCode, fixed.stdout).toBe(0);
    expect(line(fixed.stdout, 'traefik')).toMatch(/^changed /);
    expect((await docker.services(stack)).length).toBeGreaterThan(0);
    expect((await reconcile('--check')).exitCode).toBe(0);
  }, 300_000);
  it('a renewed wildcard certificate: --check names it; reconcile rotates it; traefik serves it', async () => {
    // A new pair signed by the testbed's CA (ca-key.pem beside swarm.ingressCa), as an operator's renewal would
    // put new files in place. It covers *.ci.test only: fine, as this file runs alone, and the testbed's own
    // pair goes back at the end.
    const rotated = mkdtempSync(`/tmp/cc-ci-e2e-${lane.name}-tls-`);
    const renewed = reconcileConfig({ certFile: join(rotated, 'new.pem'), keyFile: join(rotated, 'new-key.pem') });
    try {
      const check = await reconcileWith(renewed, '--check');
      expect(check.exitCode, check.stdout).toBe(1);
      expect(line(check.stdout, 'tls')).toMatch(/^drift +tls: no certificate at/);
      const r = await reconcileWith(renewed);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(line(r.stdout, 'traefik')).toMatch(/^changed +traefik: .*changed: ssl_cert v(\d+) → v\d+/);
      await waitFor('traefik to serve the new certificate', async () =>
        (await served()) === fingerprint(join(rotated, 'new.pem')) ? true : undefined,
      );
      expect((await reconcileWith(renewed, '--check')).exitCode).toBe(0);
    } finally {
      // The testbed's own pair back (it names every end-to-end lane): a change again, so the next version.
      const back = await reconcile();
      expect(back.exitCode, back.stdout + back.stderr).toBe(0);
      expect(line(back.stdout, 'traefik')).toMatch(/^changed +traefik: /);
      await waitFor('traefik to serve the testbed certificate again', async () =>
        (await served()) === fingerprint(join(TLS, 'wildcard.pem')) ? true : undefined,
      );
    }
  }, 300_000);
});

const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;

/** The certificate the ingress serves for a name under ci.test (its SHA-256 fingerprint), checked against nothing. */
function served(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: 8443,
      servername: 'probe.ci.test',
      rejectUnauthorized: false,
    });
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256);
      socket.end();
    });
    socket.once('error', () => resolve(undefined));
  });
}
