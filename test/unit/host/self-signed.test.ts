// `--self-signed` (src/host/self-signed.ts): a local CA and a wildcard certificate made with
// openssl, read back with openssl itself: the SAN covers *.domain and domain, and the chain
// verifies against the CA. A second look finds nothing to do, so a second run changes nothing.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectSelfSigned, makeSelfSigned, type TlsFiles } from '../../../src/host/self-signed.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'ccci-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files: TlsFiles = {
  certFile: join(dir, 'wildcard.pem'),
  keyFile: join(dir, 'wildcard-key.pem'),
  caFile: join(dir, 'ca.pem'),
  caKeyFile: join(dir, 'ca-key.pem'),
};

describe('self-signed wildcard certificate', () => {
  it('finds everything missing at first, then makes a CA and a certificate openssl accepts', async () => {
    const problem = inspectSelfSigned(files, 'ci.test', new Date());
    expect(problem.ca).toContain('no CA');
    expect(problem.leaf).toContain('no certificate');
    await makeSelfSigned(files, 'ci.test', problem);

    const text = (await run('openssl', ['x509', '-in', files.certFile, '-noout', '-text'])).stdout;
    expect(text).toMatch(/DNS:\*\.ci\.test, DNS:ci\.test/);
    const verified = await run('openssl', ['verify', '-CAfile', files.caFile, files.certFile]);
    expect(verified.stdout.trim()).toBe(`${files.certFile}: OK`);
    expect(statSync(files.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(files.caKeyFile).mode & 0o777).toBe(0o600);
  });

  it('keeps a good pair: nothing to do the second time', () => {
    expect(inspectSelfSigned(files, 'ci.test', new Date())).toEqual({});
  });

  it('replaces a certificate for another domain, one that ends within 30 days, or one with the wrong key', async () => {
    expect(inspectSelfSigned(files, 'other.test', new Date()).leaf).toContain('does not cover *.other.test');
    const late = new Date(Date.now() + 820 * 24 * 3600 * 1000);
    expect(inspectSelfSigned(files, 'ci.test', late).leaf).toContain('ends');
    const before = readFileSync(files.certFile, 'utf8');
    writeFileSync(files.keyFile, readFileSync(files.caKeyFile));
    const problem = inspectSelfSigned(files, 'ci.test', new Date());
    expect(problem).toEqual({ leaf: expect.stringContaining('is not the key of') });
    await makeSelfSigned(files, 'ci.test', problem);
    expect(readFileSync(files.certFile, 'utf8')).not.toBe(before);
    expect(inspectSelfSigned(files, 'ci.test', new Date())).toEqual({});
  });

  it('covers the further names asked for (the testbed lanes), and is remade when one is added', async () => {
    const lanes = ['*.install.ci.test', '*.demo.ci.test'];
    const problem = inspectSelfSigned(files, 'ci.test', new Date(), lanes);
    expect(problem.leaf).toContain('does not cover *.ci.test, ci.test, *.install.ci.test, *.demo.ci.test');
    await makeSelfSigned(files, 'ci.test', problem, lanes);
    const names = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', files.certFile], {
      encoding: 'utf8',
    });
    for (const n of ['*.ci.test', 'ci.test', ...lanes]) expect(names).toContain(`DNS:${n}`);
    expect(inspectSelfSigned(files, 'ci.test', new Date(), lanes)).toEqual({});
    expect(inspectSelfSigned(files, 'ci.test', new Date(), [...lanes, '*.https.ci.test']).leaf).toContain(
      '*.https.ci.test',
    );
  });
});
