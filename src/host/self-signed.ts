// `--self-signed` (tests and the demo only): a local CA and a wildcard certificate for
// `*.<domain>` and `<domain>` (and any further names asked for: the testbed's lanes, one label
// deeper than a wildcard reaches), made with openssl (argument arrays), kept while still good so a
// second run changes nothing. Reading a certificate back is node:crypto's X509Certificate.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { childEnv } from '../process/child-env.js';
import { runProcess } from '../process/run-process.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  caKeyFile: string;
}

/** A certificate made here is replaced this long before it ends. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 825;

export interface CertProblem {
  /** Which file is missing or not good, and why; undefined when all is well. */
  ca?: string;
  leaf?: string;
}

/** What is wrong with the CA and the certificate on disk, judged as `now`. */
export function inspectSelfSigned(files: TlsFiles, domain: string, now: Date, extraNames: string[] = []): CertProblem {
  const problem: CertProblem = {};
  const ca = readCert(files.caFile);
  if (!ca) problem.ca = `no CA at ${files.caFile}`;
  else if (!existsSync(files.caKeyFile)) problem.ca = `no CA key at ${files.caKeyFile}`;
  else if (!ca.ca) problem.ca = `${files.caFile} is not a CA certificate`;
  else if (ends(ca, now)) problem.ca = `${files.caFile} ends ${ca.validTo}`;
  const leaf = readCert(files.certFile);
  if (!leaf) problem.leaf = `no certificate at ${files.certFile}`;
  else if (!existsSync(files.keyFile)) problem.leaf = `no key at ${files.keyFile}`;
  else if (!matchesKey(leaf, files.keyFile)) problem.leaf = `${files.keyFile} is not the key of ${files.certFile}`;
  else if (!covers(leaf, certNames(domain, extraNames)))
    problem.leaf = `${files.certFile} does not cover ${certNames(domain, extraNames).join(', ')}`;
  else if (ends(leaf, now)) problem.leaf = `${files.certFile} ends ${leaf.validTo}`;
  else if (problem.ca || !ca || !leaf.verify(ca.publicKey)) problem.leaf = `${files.certFile} is not signed by the CA`;
  return problem;
}

/** Makes what inspectSelfSigned found missing or not good: the CA (and so the certificate), or the certificate. */
export async function makeSelfSigned(
  files: TlsFiles,
  domain: string,
  problem: CertProblem,
  extraNames: string[] = [],
): Promise<string[]> {
  const made: string[] = [];
  const scratch = join(dirname(files.certFile), `.cc-ci-tls-${process.pid}`);
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  try {
    for (const f of Object.values(files)) mkdirSync(dirname(f), { recursive: true });
    if (problem.ca) {
      await openssl(
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-sha256',
          '-days',
          String(CA_DAYS),
          '-keyout',
          join(scratch, 'ca.key'),
          '-out',
          join(scratch, 'ca.pem'),
          '-subj',
          `/CN=cc-ci test CA for ${domain}`,
          '-addext',
          'basicConstraints=critical,CA:TRUE',
          '-addext',
          'keyUsage=critical,keyCertSign,cRLSign',
        ],
        'the CA',
      );
      place(join(scratch, 'ca.key'), files.caKeyFile, 0o600);
      place(join(scratch, 'ca.pem'), files.caFile, 0o644);
      made.push(`CA ${files.caFile}`);
    }
    const ext = join(scratch, 'leaf.ext');
    writeFileSync(
      ext,
      [
        `subjectAltName=${certNames(domain, extraNames)
          .map((n) => `DNS:${n}`)
          .join(',')}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    await openssl(
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-keyout',
        join(scratch, 'leaf.key'),
        '-out',
        join(scratch, 'leaf.csr'),
        '-subj',
        `/CN=*.${domain}`,
      ],
      'the certificate request',
    );
    await openssl(
      [
        'x509',
        '-req',
        '-sha256',
        '-days',
        String(LEAF_DAYS),
        '-in',
        join(scratch, 'leaf.csr'),
        '-CA',
        files.caFile,
        '-CAkey',
        files.caKeyFile,
        '-set_serial',
        `0x${randomSerial()}`,
        '-extfile',
        ext,
        '-out',
        join(scratch, 'leaf.crt'),
      ],
      'the certificate',
    );
    place(join(scratch, 'leaf.key'), files.keyFile, 0o600);
    place(join(scratch, 'leaf.crt'), files.certFile, 0o644);
    made.push(`certificate for *.${domain} ${files.certFile}`);
    return made;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function openssl(args: string[], what: string): Promise<void> {
  const r = await runProcess('openssl', args, { env: childEnv(), timeoutMs: 60_000 });
  if (r.exitCode !== 0 || r.timedOut) {
    const said = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ');
    throw new Error(`openssl could not make ${what} (exit ${r.exitCode}): ${said}`);
  }
}

/** Moves a finished file into place (same filesystem: the scratch folder sits next to the certificate). */
function place(from: string, to: string, mode: number): void {
  chmodSync(from, mode);
  try {
    renameSync(from, to);
  } catch {
    writeFileSync(to, readFileSync(from), { mode });
    chmodSync(to, mode);
  }
}

function readCert(file: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(file));
  } catch {
    return undefined;
  }
}

function matchesKey(cert: X509Certificate, keyFile: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile)));
  } catch {
    return false;
  }
}

/** The names the certificate must cover: the wildcard and the domain first, then the ones asked for. */
export function certNames(domain: string, extraNames: string[] = []): string[] {
  return [...new Set([`*.${domain}`, domain, ...extraNames])];
}

function covers(cert: X509Certificate, names: string[]): boolean {
  const has = (cert.subjectAltName ?? '').split(',').map((n) => n.trim());
  return names.every((n) => has.includes(`DNS:${n}`));
}

function ends(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS;
}

function randomSerial(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}
