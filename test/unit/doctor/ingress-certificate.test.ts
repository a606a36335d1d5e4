// The doctor's ingress certificate check against real TLS servers on 127.0.0.1, serving
// certificates openssl makes for each test: the wrong domain, expired, from an unknown CA, 10 days
// left, traefik's default certificate, a good one trusted through swarm.ingressCa; an http://
// ingress and a port that does not speak TLS; and, through the config, a missing abra server.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { formatResults, runChecks } from '../../../src/doctor/check.js';
import { doctorChecks, type DoctorDeps } from '../../../src/doctor/doctor.js';
import { checkIngressCertificate } from '../../../src/doctor/host-checks.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { TestCa } from '../../support/test-ca.js';

const certs = new TestCa();
const dir = certs.dir;
const makeCa = (name: string) => certs.makeCa(name);
const makeLeaf = (name: string, o: Parameters<TestCa['makeLeaf']>[1]) => certs.makeLeaf(name, o);

const servers: (Server | TcpServer)[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => certs.remove());

/** An ingress on 127.0.0.1 serving this certificate for every name: its https:// address. */
async function serving(pair: { cert: Buffer; key: Buffer }): Promise<string> {
  const server = createServer(pair, (socket) => socket.end());
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const caPath = makeCa('testbed-ca');
makeCa('other-ca');
const domain = 'ci.test';

describe('the ingress certificate', () => {
  it('a wildcard for the domain from swarm.ingressCa passes and says where the trust comes from', async () => {
    const ingress = await serving(makeLeaf('good', { ca: 'testbed-ca', dns: [`*.${domain}`, domain], days: 90 }));
    const outcome = await checkIngressCertificate({ ingress, domain, ingressCa: caPath });
    expect(outcome).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^\*\.ci\.test, valid until .* \(89 days left\)/),
    });
    expect(outcome.detail).toContain('chain to swarm.ingressCa (CN=testbed-ca)');
    expect(outcome.warn).toBeUndefined();
  });

  it('the same without swarm.ingressCa: an unknown CA, and the fix names swarm.ingressCa', async () => {
    const ingress = await serving(makeLeaf('good2', { ca: 'testbed-ca', dns: [`*.${domain}`], days: 90 }));
    expect(await checkIngressCertificate({ ingress, domain })).toMatchObject({
      ok: false,
      detail:
        'the certificate served for cc-ci-doctor.ci.test (CN=*.ci.test, issued by CN=testbed-ca): ' +
        "its chain does not lead to Node's CAs: issued by CN=testbed-ca (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
      fix: expect.stringMatching(/set swarm\.ingressCa to that CA's PEM file/),
    });
  });

  it("from a CA that is neither Node's nor swarm.ingressCa: fails naming both", async () => {
    const ingress = await serving(makeLeaf('stranger', { ca: 'other-ca', dns: [`*.${domain}`], days: 90 }));
    const outcome = await checkIngressCertificate({ ingress, domain, ingressCa: caPath });
    expect(outcome).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`its chain does not lead to Node's CAs or swarm.ingressCa (${caPath})`),
      fix: expect.stringMatching(/^set swarm\.ingressCa to the CA that signed it/),
    });
  });

  it('for another domain: fails naming what it covers, and suggests that domain', async () => {
    const ingress = await serving(makeLeaf('wrong', { ca: 'testbed-ca', dns: ['*.example.org'], days: 90 }));
    const outcome = await checkIngressCertificate({ ingress, domain, ingressCa: caPath });
    expect(outcome).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /: it names \*\.example\.org, not \*\.ci\.test, so test apps' names are not covered$/,
      ),
      fix: expect.stringMatching(/host\.certFile .* `cc-ci host reconcile`.*, or set swarm\.domain to example\.org$/),
    });
  });

  it('expired: fails with the date, and says to renew it', async () => {
    const ingress = await serving(makeLeaf('expired', { ca: 'testbed-ca', dns: [`*.${domain}`], days: -1 }));
    const outcome = await checkIngressCertificate({ ingress, domain, ingressCa: caPath });
    expect(outcome).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/: it expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+ days? ago\)$/),
      fix: expect.stringMatching(/^renew it: put a certificate for \*\.ci\.test .*cc-ci host reconcile/),
    });
    // The chain's own "expired" is not reported a second time.
    expect(outcome.more).toBeUndefined();
  });

  it('10 days left: passes with a warning that says when and how to renew', async () => {
    const ingress = await serving(makeLeaf('soon', { ca: 'testbed-ca', dns: [`*.${domain}`], days: 10 }));
    const outcome = await checkIngressCertificate({ ingress, domain, ingressCa: caPath });
    expect(outcome).toMatchObject({
      ok: true,
      warn: true,
      detail: expect.stringMatching(/\(9 days left\).*: under 14 days left$/),
      fix: expect.stringMatching(/^renew it before \d{4}-\d\d-\d\d \d\d:\d\d UTC: .*cc-ci host reconcile/),
    });
  });

  it("traefik's own default certificate is named as such", async () => {
    const ingress = await serving(
      makeLeaf('traefik-default', { dns: ['fa1b2c.traefik.default'], days: 365, cn: 'TRAEFIK DEFAULT CERT' }),
    );
    const outcome = await checkIngressCertificate({ ingress, domain });
    expect(outcome.ok).toBe(false);
    expect(outcome.more).toEqual([
      'traefik served its own default certificate: it has none for cc-ci-doctor.ci.test',
      expect.stringMatching(/^it is self-signed, and not one of Node's CAs \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/),
    ]);
    expect(outcome.fix).toMatch(/WILDCARDS_ENABLED=1, compose\.wildcard\.yml in COMPOSE_FILE/);
  });

  it('an http:// ingress is a warning: checks would not run over HTTPS', async () => {
    expect(await checkIngressCertificate({ ingress: 'http://127.0.0.1:8480', domain })).toMatchObject({
      ok: true,
      warn: true,
      detail: expect.stringMatching(/^swarm\.ingress is http:\/\/127\.0\.0\.1:8480: no certificate to check/),
      fix: expect.stringMatching(/https:\/\//),
    });
  });

  it('a port that does not speak TLS fails within the time limit with the fix', async () => {
    const plain = createTcpServer((s) => {
      sockets.add(s);
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    servers.push(plain);
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const port = (plain.address() as { port: number }).port;
    const outcome = await checkIngressCertificate(
      { ingress: `https://127.0.0.1:${port}`, domain },
      { timeoutMs: 2_000 },
    );
    expect(outcome).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/ \(SNI cc-ci-doctor\.ci\.test\): TLS handshake failed: /),
      fix: expect.stringMatching(/HTTPS entrypoint/),
    });
  });

  it('an unreadable swarm.ingressCa fails naming the file', async () => {
    const missing = join(dir, 'missing-ca.pem');
    expect(await checkIngressCertificate({ ingress: 'https://127.0.0.1:1', domain, ingressCa: missing })).toMatchObject(
      {
        ok: false,
        detail: `cannot read swarm.ingressCa ${missing}: ENOENT`,
      },
    );
  });
});

describe('through the config: the doctor lines', () => {
  const deps: DoctorDeps = {
    abra: {
      resolved: undefined,
      version: async () => ({ exitCode: 127, stdout: '', stderr: '', timedOut: false }),
      help: async () => ({ exitCode: 127, stdout: '', stderr: '', timedOut: false }),
    },
    abraCalls: [],
    docker: {} as DoctorDeps['docker'],
    chromium: async () => ({ ok: true, detail: 'Chromium 1' }),
    backups: { list: async () => [], forget: async () => {} },
  };

  it('a missing abra server entry fails with the command that adds it; ingressCa relative to the config', async () => {
    const ingress = await serving(makeLeaf('good3', { ca: 'testbed-ca', dns: [`*.${domain}`], days: 90 }));
    const configDir = mkdtempSync(join(tmpdir(), 'doctor-cert-config-'));
    mkdirSync(join(configDir, 'tls'));
    writeFileSync(join(configDir, 'tls', 'ca.pem'), readFileSync(caPath));
    writeFileSync(
      join(configDir, 'cc-ci.yml'),
      `swarm: {server: default, domain: ${domain}, abraDir: ./abra, ingress: "${ingress}", ingressCa: tls/ca.pem}\n`,
    );
    const config = loadConfig({ path: join(configDir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
    const wanted = ['abra server', 'ingress', 'ingress certificate'];
    const results = await runChecks(doctorChecks(config, deps).filter((c) => wanted.includes(c.name)));
    const report = formatResults(results).join('\n');
    expect(report).toContain(
      `FAIL  abra server          ${join(configDir, 'abra', 'servers', 'default')} does not exist`,
    );
    expect(report).toContain(`fix: ABRA_DIR=${join(configDir, 'abra')} abra server add default`);
    expect(report).toContain('`cc-ci host reconcile` adds it too');
    expect(report).toMatch(/\nok {4}ingress certificate {2}\*\.ci\.test, valid until .*chain to swarm\.ingressCa/);
    expect(report).toMatch(/\n2 passed, 1 failed$/);
    execFileSync('rm', ['-rf', configDir]);
  });
});
