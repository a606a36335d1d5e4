// swarm.ingressCa: read and checked when the config loads (a missing, unreadable or non-PEM file is
// CONFIG_INVALID, which the CLI exits 2 on), its path made absolute and its PEM kept for the checks.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { TestCa } from '../../support/test-ca.js';

function load(ingressCa: string | undefined, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const ca = ingressCa === undefined ? '' : `, ingressCa: ${JSON.stringify(ingressCa)}`;
  const path = join(dir, 'cc-ci.yml');
  writeFileSync(
    path,
    `swarm: {server: default, domain: ci.test, ingress: "https://127.0.0.1:8443"${ca}}\nstore: ./data\n`,
  );
  return { dir, config: () => loadConfig({ path, env: {}, secrets: new SecretRegistry() }) };
}

function caPem(): string {
  const certs = new TestCa();
  const pem = certs.caPem('test CA');
  certs.remove();
  return pem;
}

describe('swarm.ingressCa', () => {
  it('is optional; when set, its path is resolved against the config file and its PEM kept', () => {
    expect(load(undefined).config().swarm.ingressCaPem).toBeUndefined();
    const pem = caPem();
    const { dir, config } = load('./ca.pem', { 'ca.pem': pem });
    expect(config().swarm).toMatchObject({ ingressCa: join(dir, 'ca.pem'), ingressCaPem: pem });
  });
  it('a missing file, one with no certificate, or a broken one is CONFIG_INVALID naming the key', () => {
    expect(load('./nope.pem').config).toThrow(/swarm\.ingressCa: cannot read .*nope\.pem \(ENOENT\)/);
    expect(load('./ca.pem', { 'ca.pem': 'hello\n' }).config).toThrow(
      /swarm\.ingressCa: .*ca\.pem holds no PEM certificate; it must be the PEM certificate of the CA/,
    );
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(load('./ca.pem', { 'ca.pem': broken }).config).toThrow(/holds a certificate that does not parse/);
    expect(load('./ca.pem', { 'ca.pem': 'x' }).config).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
