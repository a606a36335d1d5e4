// What the doctor makes of the certificate the ingress serves (the facts of tls-probe.ts): it must
// name `*.<swarm.domain>` (every test app is `<name>.<swarm.domain>`), be valid now, and chain to
// a CA cc-ci trusts (Node's own, or swarm.ingressCa). Under 14 days left is a warning. Pure: the
// time comes in.
import type { Outcome } from './check.js';
import type { ServedCertificate } from './tls-probe.js';

export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export interface CertificateContext {
  /** swarm.domain */
  domain: string;
  /** The SNI name the doctor sent. */
  servername: string;
  /** swarm.ingressCa's path, when set. */
  ingressCa?: string;
  now: Date;
}

/** traefik's own certificate, served when it has none for the name asked for. */
const TRAEFIK_DEFAULT_CN = 'TRAEFIK DEFAULT CERT';

/** Dates are also judged on the leaf itself, with its dates in the message. */
const DATE_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

export function judgeServedCertificate(cert: ServedCertificate, ctx: CertificateContext): Outcome {
  const wildcard = `*.${ctx.domain}`;
  const install =
    `put a certificate for ${wildcard} (with its intermediates after it) and its key where host.certFile and ` +
    "host.keyFile point and run `cc-ci host reconcile`, which rotates traefik's ssl_cert/ssl_key secrets and " +
    'redeploys it (docs/secrets.md)';
  const problems: string[] = [];
  const fixes: string[] = [];
  const served = `the certificate served for ${ctx.servername} (${cert.subject}, issued by ${cert.issuer})`;

  if (!cert.dnsNames.some((name) => name.toLowerCase() === wildcard)) {
    const names = cert.dnsNames.length > 0 ? cert.dnsNames.join(', ') : 'no DNS name';
    if (cert.subject.includes(TRAEFIK_DEFAULT_CN)) {
      problems.push(`traefik served its own default certificate: it has none for ${ctx.servername}`);
      fixes.push(
        'deploy traefik in wildcard mode (WILDCARDS_ENABLED=1, compose.wildcard.yml in COMPOSE_FILE) with the ' +
          `certificate for ${wildcard} as its ssl_cert/ssl_key secrets: \`cc-ci host reconcile\` does`,
      );
    } else {
      problems.push(`it names ${names}, not ${wildcard}, so test apps' names are not covered`);
      const otherWildcard = cert.dnsNames.find((name) => name.startsWith('*.'));
      fixes.push(install + (otherWildcard ? `, or set swarm.domain to ${otherWildcard.slice(2)}` : ''));
    }
  }

  const notYet = cert.validFrom.getTime() > ctx.now.getTime();
  const expired = cert.validTo.getTime() < ctx.now.getTime();
  if (notYet) {
    problems.push(`it is not valid before ${when(cert.validFrom)} (this host's clock says ${when(ctx.now)})`);
    fixes.push("check this host's clock (timedatectl), or install a certificate that is valid now");
  }
  if (expired) {
    problems.push(`it expired on ${when(cert.validTo)} (${days(daysBetween(cert.validTo, ctx.now))} ago)`);
    fixes.push(`renew it: ${install}`);
  }

  const chainError = cert.chainError;
  if (chainError !== undefined && !(DATE_CODES.has(chainError) && (notYet || expired))) {
    problems.push(chainProblem(chainError, cert.issuer, ctx.ingressCa));
    fixes.push(
      DATE_CODES.has(chainError)
        ? 'replace the expired or not yet valid intermediate in the certificate file, then ' + install
        : ctx.ingressCa
          ? `set swarm.ingressCa to the CA that signed it, or use a certificate from a CA cc-ci trusts: ${install}`
          : "if it is from your own CA, set swarm.ingressCa to that CA's PEM file; otherwise serve the whole " +
            'chain (the certificate file must hold the intermediates after the certificate)',
    );
  }

  if (problems.length > 0) {
    return {
      ok: false,
      detail: `${served}${problems.length === 1 ? `: ${problems[0]}` : ':'}`,
      ...(problems.length > 1 ? { more: problems } : {}),
      fix: [...new Set(fixes)].join('; '),
    };
  }

  const daysLeft = daysBetween(ctx.now, cert.validTo);
  const trust = cert.rootIsExtraCa
    ? `swarm.ingressCa (${cert.root ?? 'its CA'})`
    : `${cert.root ?? 'a CA'} (Node's CAs)`;
  const found = `${wildcard}, valid until ${when(cert.validTo)} (${days(daysLeft)} left), chain to ${trust}`;
  if (cert.validTo.getTime() - ctx.now.getTime() < EXPIRY_WARNING_DAYS * DAY_MS) {
    return {
      ok: true,
      warn: true,
      detail: `${found}: under ${EXPIRY_WARNING_DAYS} days left`,
      fix: `renew it before ${when(cert.validTo)}: ${install}`,
    };
  }
  return { ok: true, detail: found };
}

/** An ingress without TLS: nothing to check, and checks would not see what real apps' visitors see. */
export function plainHttpIngress(ingress: string): Outcome {
  return {
    ok: true,
    warn: true,
    detail:
      `swarm.ingress is ${ingress}: no certificate to check, and checks do not run over HTTPS as real apps ` +
      'are served (a real traefik answers plain HTTP with a redirect to HTTPS)',
    fix:
      "set swarm.ingress to traefik's https:// address (https://127.0.0.1:443), and swarm.ingressCa when its " +
      'certificate is from your own CA',
  };
}

function chainProblem(code: string, issuer: string, ingressCa: string | undefined): string {
  const trusted = ingressCa ? `Node's CAs or swarm.ingressCa (${ingressCa})` : "Node's CAs";
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return `it is self-signed, and not one of ${trusted} (${code})`;
  if (DATE_CODES.has(code)) return `a certificate in its chain is expired or not yet valid (${code})`;
  return `its chain does not lead to ${trusted}: issued by ${issuer} (${code})`;
}

/** `2026-12-17 12:36 UTC` */
function when(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;

function daysBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / DAY_MS);
}
