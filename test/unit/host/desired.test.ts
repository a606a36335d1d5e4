// Where `cc-ci host reconcile` finds the certificate traefik serves (src/host/desired.ts):
// the configured files; with --self-signed, defaults that keep a CA beside its certificate.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/load-config.js';
import { tlsFiles } from '../../../src/host/desired.js';

const config = (host: Partial<Config['host']>, ingressCa?: string) =>
  ({
    store: '/var/lib/cc-ci/store',
    swarm: { domain: 'ci.example.org', ...(ingressCa ? { ingressCa } : {}) },
    host,
  }) as unknown as Config;

describe('tlsFiles', () => {
  it('is undefined without host.certFile and host.keyFile, unless --self-signed', () => {
    expect(tlsFiles(config({}), false)).toBeUndefined();
    expect(tlsFiles(config({}), true)).toEqual({
      certFile: '/var/lib/cc-ci/store/tls/wildcard.pem',
      keyFile: '/var/lib/cc-ci/store/tls/wildcard-key.pem',
      caFile: '/var/lib/cc-ci/store/tls/ca.pem',
      caKeyFile: '/var/lib/cc-ci/store/tls/ca-key.pem',
    });
  });

  it('keeps the CA beside a configured certificate, or at swarm.ingressCa', () => {
    const files = { certFile: '/t/wildcard.pem', keyFile: '/t/wildcard-key.pem' };
    expect(tlsFiles(config(files), true)).toMatchObject({ caFile: '/t/ca.pem', caKeyFile: '/t/ca-key.pem' });
    expect(tlsFiles(config(files, '/etc/cc-ci/ca.pem'), true)).toMatchObject({
      caFile: '/etc/cc-ci/ca.pem',
      caKeyFile: '/etc/cc-ci/ca-key.pem',
    });
    expect(tlsFiles(config(files), false)).toMatchObject(files);
  });
});
