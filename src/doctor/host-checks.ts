// The host around the swarm: cc-ci's store is writable, abra knows the server, Chromium starts,
// the ingress takes a TCP connection and serves a certificate for the swarm's domain.
import { accessSync, constants, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { errorMessage } from '../model/errors.js';
import type { ChromiumAnswer } from '../browser/probe.js';
import { abraServerDir, missingAbraServer } from '../abra/server-entry.js';
import type { Outcome } from './check.js';
import { judgeServedCertificate, plainHttpIngress } from './certificate-rules.js';
import { readServedCertificate } from './tls-probe.js';

/** Creates and removes a file in the store; a store that does not exist yet must be creatable. */
export async function checkStore(store: string): Promise<Outcome> {
  const fix = `make ${store} writable for the user cc-ci runs as, or set store to a folder that is`;
  let existing = store;
  while (!exists(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (existing !== store) {
    try {
      accessSync(existing, constants.W_OK | constants.X_OK);
      return { ok: true, detail: `${store} does not exist yet; cc-ci creates it (${existing} is writable)` };
    } catch {
      return { ok: false, detail: `${store} does not exist and ${existing} is not writable`, fix };
    }
  }
  if (!statSync(store).isDirectory()) return { ok: false, detail: `${store} is not a folder`, fix };
  const probe = join(store, `.cc-ci-doctor-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(probe, 'cc-ci doctor\n', { flag: 'wx' });
    rmSync(probe);
    return { ok: true, detail: `${store} is writable` };
  } catch (err) {
    return { ok: false, detail: `cannot write in ${store}: ${errorMessage(err)}`, fix };
  }
}

/** abra keeps each server's apps in `<abraDir>/servers/<server>/`; it exists once the server is added. */
export async function checkAbraServer(abraDir: string, server: string): Promise<Outcome> {
  const missing = missingAbraServer(abraDir, server);
  if (!missing) return { ok: true, detail: `${abraServerDir(abraDir, server)} exists` };
  return { ok: false, detail: missing.detail, fix: missing.fix };
}

export async function checkChromium(probe: () => Promise<ChromiumAnswer>): Promise<Outcome> {
  const r = await probe();
  if (r.ok) return { ok: true, detail: r.detail };
  return {
    ok: false,
    detail: r.detail,
    fix: 'apt-get install chromium (cc-ci never downloads a browser), or set CCCI_CHROMIUM to a Chromium binary',
  };
}

/** A TCP connection to the ingress's host and port (no request: the ingress routes by Host header). */
export async function checkIngress(ingress: string, timeoutMs = 5_000): Promise<Outcome> {
  const url = new URL(ingress);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const fix = 'start the ingress (traefik) and publish it there, or set swarm.ingress to where it listens';
  return new Promise<Outcome>((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: Outcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ ok: false, detail: `${host}:${port} did not answer within ${Math.round(timeoutMs / 1000)} s`, fix }),
    );
    socket.once('connect', () => done({ ok: true, detail: `${host}:${port} accepts connections (${ingress})` }));
    socket.once('error', (err) =>
      done({
        ok: false,
        detail: `cannot connect to ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
        fix,
      }),
    );
  });
}

/** The SNI name the certificate check sends: a name under the wildcard that no test app takes. */
export const doctorServerName = (domain: string) => `cc-ci-doctor.${domain}`;

/**
 * The certificate the ingress serves for a name under `*.<swarm.domain>`: one TLS handshake,
 * judged by certificate-rules.ts. An http:// ingress is a warning.
 */
export async function checkIngressCertificate(
  swarm: { ingress: string; domain: string; ingressCa?: string },
  opts: { timeoutMs?: number; now?: () => Date } = {},
): Promise<Outcome> {
  const url = new URL(swarm.ingress);
  if (url.protocol !== 'https:') return plainHttpIngress(swarm.ingress);
  let extraCa: string | undefined;
  if (swarm.ingressCa !== undefined) {
    try {
      extraCa = readFileSync(swarm.ingressCa, 'utf8');
    } catch (err) {
      return {
        ok: false,
        detail: `cannot read swarm.ingressCa ${swarm.ingressCa}: ${errnoOf(err)}`,
        fix: "set swarm.ingressCa to the PEM file of the CA that signed the ingress's certificate, readable by cc-ci",
      };
    }
  }
  const servername = doctorServerName(swarm.domain);
  const answer = await readServedCertificate({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 443),
    servername,
    extraCa,
    timeoutMs: opts.timeoutMs,
  });
  if (!answer.ok) {
    return {
      ok: false,
      detail: `${swarm.ingress} (SNI ${servername}): ${answer.detail}`,
      fix:
        "point swarm.ingress at traefik's HTTPS entrypoint (web-secure, port 443); " +
        'an http:// port does not speak TLS',
    };
  }
  return judgeServedCertificate(answer.certificate, {
    domain: swarm.domain,
    servername,
    ingressCa: swarm.ingressCa,
    now: (opts.now ?? (() => new Date()))(),
  });
}

const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? errorMessage(err);

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
