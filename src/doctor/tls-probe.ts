// The doctor's TLS adapter: one handshake with the ingress, with the SNI name a test app would send,
// that reads the certificate it serves and whether its chain verifies. It never refuses a
// certificate itself (the judgement is certificate-rules.ts's) and sends no request.
import { X509Certificate } from 'node:crypto';
import { connect, rootCertificates, type Certificate, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { errorMessage } from '../model/errors.js';

/** What the ingress served, as facts. */
export interface ServedCertificate {
  /** The leaf's subject and issuer, as OpenSSL prints them (`CN=*.ci.example.org`). */
  subject: string;
  issuer: string;
  /** The DNS names of its subjectAltName (clients ignore the subject's CN). */
  dnsNames: string[];
  validFrom: Date;
  validTo: Date;
  /** OpenSSL's reason the chain does not verify against the trusted CAs (`UNABLE_TO_GET_ISSUER_CERT_LOCALLY`). */
  chainError?: string;
  /** The subject of the top of the verified chain (its root CA), when it verified. */
  root?: string;
  /** The root is one of the extra CAs handed in (swarm.ingressCa), not one of Node's own. */
  rootIsExtraCa?: boolean;
}

export type TlsAnswer = { ok: true; certificate: ServedCertificate } | { ok: false; detail: string };

export interface TlsProbeOptions {
  host: string;
  port: number;
  /** The SNI name: traefik picks the certificate by it. */
  servername: string;
  /** PEM certificates trusted besides Node's own CAs. */
  extraCa?: string;
  timeoutMs?: number;
}

export function readServedCertificate(opts: TlsProbeOptions): Promise<TlsAnswer> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  return new Promise<TlsAnswer>((resolve) => {
    let socket: TLSSocket;
    try {
      socket = connect({
        host: opts.host,
        port: opts.port,
        servername: opts.servername,
        // Node's own CAs stay trusted: `ca` replaces them when given.
        ...(opts.extraCa !== undefined ? { ca: [...rootCertificates, opts.extraCa] } : {}),
        // The certificate is judged afterwards, with every finding named, instead of a refused handshake;
        // its names by certificate-rules.ts (against the wildcard, not only the name sent).
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
    } catch (err) {
      // A CA file that is not PEM is refused before any connection.
      resolve({ ok: false, detail: `cannot use the CA given: ${errorMessage(err)}` });
      return;
    }
    const done = (answer: TlsAnswer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ ok: false, detail: `no TLS handshake within ${Math.round(timeoutMs / 1000)} s` }),
    );
    socket.once('error', (err) =>
      done({ ok: false, detail: `TLS handshake failed: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}` }),
    );
    socket.once('secureConnect', () => {
      // getPeerCertificate, not getPeerX509Certificate: after the latter, Node 20 returns an empty chain.
      const leaf = socket.getPeerCertificate(true);
      if (!leaf.raw) return done({ ok: false, detail: 'the ingress completed the handshake without a certificate' });
      const chainError = socket.authorized ? undefined : String(socket.authorizationError);
      const root = chainError === undefined ? topOf(leaf) : undefined;
      done({
        ok: true,
        certificate: {
          subject: nameOf(leaf.subject),
          issuer: nameOf(leaf.issuer),
          dnsNames: dnsNamesOf(leaf.subjectaltname),
          validFrom: new Date(leaf.valid_from),
          validTo: new Date(leaf.valid_to),
          ...(chainError !== undefined ? { chainError } : {}),
          ...(root ? { root: nameOf(root.subject), rootIsExtraCa: isAmong(root.fingerprint256, opts.extraCa) } : {}),
        },
      });
    });
  });
}

/** The last certificate of the chain OpenSSL verified (a self-signed root is its own issuer). */
function topOf(cert: DetailedPeerCertificate): DetailedPeerCertificate {
  let top = cert;
  for (let i = 0; i < 10 && top.issuerCertificate?.raw && top.issuerCertificate !== top; i++)
    top = top.issuerCertificate;
  return top;
}

/** `CN=*.ci.example.org, O=Example`, as OpenSSL would print it. */
function nameOf(name: Certificate | undefined): string {
  return Object.entries(name ?? {})
    .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

function isAmong(fingerprint256: string, pem: string | undefined): boolean {
  if (pem === undefined) return false;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.some((block) => {
    try {
      return new X509Certificate(block).fingerprint256 === fingerprint256;
    } catch {
      return false;
    }
  });
}

function dnsNamesOf(subjectAltName: string | undefined): string[] {
  return (subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length));
}
