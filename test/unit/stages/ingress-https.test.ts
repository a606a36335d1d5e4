// The checks over an HTTPS ingress: a real TLS server on 127.0.0.1 with a certificate of a CA made
// here. The certificate is always checked (swarm.ingressCa is trusted besides Node's CAs), and a
// health path that redirects to HTTPS never passes: the recipe's fail over HTTPS, the operator's
// error over plain HTTP.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../../src/stages/checks/health.js';
import { startIngress, type FakeIngress } from '../../support/fake-ingress.js';
import { TestCa } from '../../support/test-ca.js';

/** A CA and a certificate for *.ci.test signed by it. */
function makeCa(): { ca: string; cert: string; key: string } {
  const certs = new TestCa();
  const ca = readFileSync(certs.makeCa('test-ca'), 'utf8');
  const leaf = certs.makeLeaf('ingress', { ca: 'test-ca', dns: ['*.ci.test'], days: 2 });
  certs.remove();
  return { ca, cert: leaf.cert.toString(), key: leaf.key.toString() };
}

let tls: ReturnType<typeof makeCa>;
let server: https.Server;
let url: string;
let plain: FakeIngress;

beforeAll(async () => {
  tls = makeCa();
  server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    if (req.url === '/redirect') {
      res.writeHead(301, { location: `https://${req.headers.host}/login` });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<title>sni ${(req.socket as import('node:tls').TLSSocket).servername}</title>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  plain = await startIngress();
  plain.route('a.ci.test', (path) => ({ status: 308, headers: { location: `https://a.ci.test${path}` } }));
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await plain.close();
});

describe('checks over an HTTPS ingress', () => {
  it('trusts swarm.ingressCa, with the app domain as SNI', async () => {
    const row = await checkHealth({ url, ca: tls.ca }, 'a.ci.test', { path: '/', timeoutMs: 2_000 });
    expect(row).toMatchObject({ status: 'pass', detail: 'GET / -> 200, title "sni a.ci.test"' });
  });

  it('refuses a certificate of a CA it was not given: an error that names swarm.ingressCa', async () => {
    const row = await checkHealth({ url }, 'a.ci.test', { path: '/', timeoutMs: 1_000 });
    expect(row).toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    expect(row.detail).toMatch(/certificate for a\.ci\.test was not accepted.*swarm\.ingressCa/);
  });

  it('a certificate that does not cover the domain is refused even with the CA', async () => {
    const row = await checkHealth({ url, ca: tls.ca }, 'a.other.test', { path: '/', timeoutMs: 1_000 });
    expect(row).toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
  });

  it("a redirect to HTTPS over an https:// ingress is the recipe's fail, at once", async () => {
    const started = Date.now();
    const row = await checkHealth({ url, ca: tls.ca }, 'a.ci.test', { path: '/redirect', timeoutMs: 30_000 });
    expect(row).toMatchObject({ status: 'fail', code: 'CHECK_FAILED' });
    expect(row.detail).toMatch(/answered 301 redirecting to https:\/\/a\.ci\.test\/login: the app redirected to HTTPS/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a redirect to HTTPS over an http:// ingress is the operator's error: use the https:// ingress", async () => {
    const row = await checkHealth({ url: plain.url }, 'a.ci.test', { path: '/', timeoutMs: 30_000 });
    expect(row).toMatchObject({ status: 'error', code: 'INGRESS_FAILED' });
    expect(row.detail).toMatch(
      /answered 308 .* the app redirected to HTTPS.*set it to the ingress's https:\/\/ address/,
    );
  });
});
