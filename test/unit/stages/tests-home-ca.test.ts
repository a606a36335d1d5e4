// A recipe's own tests trust swarm.ingressCa: the tests' HOME holds the CA and a bundle of the
// system's CAs with it, and the environment points Node, Python (ssl, httpx), requests and curl there.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTestsHome } from '../../../src/stages/recipe-local/tests-home.js';

const user = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

function recipe(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cc-ci-recipe-'));
  mkdirSync(join(dir, 'tests'));
  writeFileSync(join(dir, 'tests', 'test_x.py'), 'def test_x():\n    pass\n');
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, '');
  return dir;
}

describe("the recipe tests' HOME", () => {
  it('with swarm.ingressCa: the CA alone for Node, and a bundle with the system CAs for the rest', () => {
    const dir = recipe();
    const pem = '-----BEGIN CERTIFICATE-----\nTESTCA\n-----END CERTIFICATE-----\n';
    const home = makeTestsHome(dir, join(dir, 'hook.mjs'), user, pem);
    try {
      const env = home.caEnv;
      expect(Object.keys(env).sort()).toEqual([
        'CCCI_INGRESS_CA',
        'CURL_CA_BUNDLE',
        'NODE_EXTRA_CA_CERTS',
        'REQUESTS_CA_BUNDLE',
        'SSL_CERT_FILE',
      ]);
      expect(readFileSync(env.NODE_EXTRA_CA_CERTS!, 'utf8')).toBe(pem);
      expect(env.CCCI_INGRESS_CA).toBe(env.NODE_EXTRA_CA_CERTS);
      const bundle = readFileSync(env.SSL_CERT_FILE!, 'utf8');
      expect(bundle.endsWith(pem)).toBe(true);
      expect(bundle.startsWith(readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8').trimEnd())).toBe(true);
      expect(env.REQUESTS_CA_BUNDLE).toBe(env.SSL_CERT_FILE);
      expect(env.CURL_CA_BUNDLE).toBe(env.SSL_CERT_FILE);
      expect(env.SSL_CERT_FILE!.startsWith(home.home)).toBe(true);
    } finally {
      rmSync(home.home, { recursive: true, force: true });
    }
  });
  it('without it: no CA variables, so the tests use the system CAs as they are', () => {
    const dir = recipe();
    const home = makeTestsHome(dir, join(dir, 'hook.mjs'), user);
    rmSync(home.home, { recursive: true, force: true });
    expect(home.caEnv).toEqual({});
  });
});
