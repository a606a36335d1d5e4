// The certificate rules on their own, with facts and a clock handed in: what the TLS tests cannot
// make with openssl here (a certificate not yet valid, an expired intermediate), several findings
// at once, and the edge of the 14-day warning.
import { describe, expect, it } from 'vitest';
import { judgeServedCertificate } from '../../../src/doctor/certificate-rules.js';
import type { ServedCertificate } from '../../../src/doctor/tls-probe.js';

const DAY = 86_400_000;
const now = new Date('2026-12-07T12:00:00Z');
const ctx = { domain: 'ci.example.org', servername: 'cc-ci-doctor.ci.example.org', now };
const cert = (o: Partial<ServedCertificate> = {}): ServedCertificate => ({
  subject: 'CN=*.ci.example.org',
  issuer: "CN=R11, O=Let's Encrypt, C=US",
  dnsNames: ['*.ci.example.org'],
  validFrom: new Date(now.getTime() - 30 * DAY),
  validTo: new Date(now.getTime() + 60 * DAY),
  root: 'CN=ISRG Root X1, O=Internet Security Research Group, C=US',
  rootIsExtraCa: false,
  ...o,
});

describe('judgeServedCertificate', () => {
  it("a public CA's wildcard with 60 days left passes, naming the root", () => {
    expect(judgeServedCertificate(cert(), ctx)).toEqual({
      ok: true,
      detail:
        '*.ci.example.org, valid until 2027-02-05 12:00 UTC (60 days left), ' +
        "chain to CN=ISRG Root X1, O=Internet Security Research Group, C=US (Node's CAs)",
    });
  });

  it('names are matched without case; a name for one host only does not cover the test apps', () => {
    expect(judgeServedCertificate(cert({ dnsNames: ['*.CI.Example.org'] }), ctx).ok).toBe(true);
    const one = judgeServedCertificate(cert({ dnsNames: ['cc-ci-doctor.ci.example.org'] }), ctx);
    expect(one).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/it names cc-ci-doctor\.ci\.example\.org, not \*\.ci\.example\.org/),
    });
    expect(one.fix).not.toMatch(/set swarm\.domain/);
  });

  it('not valid yet: the clock is the first suspect', () => {
    const outcome = judgeServedCertificate(
      cert({ validFrom: new Date(now.getTime() + DAY), chainError: 'CERT_NOT_YET_VALID' }),
      ctx,
    );
    expect(outcome).toEqual({
      ok: false,
      detail:
        'the certificate served for cc-ci-doctor.ci.example.org ' +
        "(CN=*.ci.example.org, issued by CN=R11, O=Let's Encrypt, C=US): " +
        "it is not valid before 2026-12-08 12:00 UTC (this host's clock says 2026-12-07 12:00 UTC)",
      fix: "check this host's clock (timedatectl), or install a certificate that is valid now",
    });
  });

  it('a valid leaf whose chain has an expired certificate: the chain is named', () => {
    const outcome = judgeServedCertificate(cert({ chainError: 'CERT_HAS_EXPIRED', root: undefined }), ctx);
    expect(outcome).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/: a certificate in its chain is expired or not yet valid \(CERT_HAS_EXPIRED\)$/),
      fix: expect.stringMatching(/^replace the expired or not yet valid intermediate/),
    });
  });

  it('several findings: each on its own line, each fix once', () => {
    const outcome = judgeServedCertificate(
      cert({
        dnsNames: ['*.other.org'],
        validTo: new Date(now.getTime() - 2 * DAY),
        chainError: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
      { ...ctx, ingressCa: '/etc/cc-ci/ca.pem' },
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toMatch(/\(CN=\*\.ci\.example\.org, issued by .*\):$/);
    expect(outcome.more).toEqual([
      "it names *.other.org, not *.ci.example.org, so test apps' names are not covered",
      'it expired on 2026-12-05 12:00 UTC (2 days ago)',
      "its chain does not lead to Node's CAs or swarm.ingressCa (/etc/cc-ci/ca.pem): " +
        "issued by CN=R11, O=Let's Encrypt, C=US (SELF_SIGNED_CERT_IN_CHAIN)",
    ]);
    expect(outcome.fix?.split('; ')).toHaveLength(3);
    expect(outcome.fix).toMatch(/or set swarm\.domain to other\.org/);
  });

  it('warns under 14 days left, not at 14', () => {
    const at = (days: number) => judgeServedCertificate(cert({ validTo: new Date(now.getTime() + days * DAY) }), ctx);
    expect(at(14)).not.toHaveProperty('warn');
    expect(at(13.9)).toMatchObject({
      ok: true,
      warn: true,
      detail: expect.stringMatching(/\(13 days left\).*under 14 days left$/),
    });
  });
});
