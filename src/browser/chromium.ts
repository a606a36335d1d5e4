// The Chromium adapter: the only place that starts a browser. Always Debian's Chromium (never a
// downloaded one) through playwright-core, headless, with cc-ci's flags, and with Playwright's
// own signal handlers off: whoever owns the process (a run, the server, the demo) tears down on a
// signal, and Playwright's handlers would exit first. The checks, the summary card, the demo's
// screenshots and the doctor's probe all start Chromium here. What went wrong in a page is read
// here from Playwright's words into a fact; whose fault it is, src/model/blame.ts decides.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CcciError, errorMessage, FactError, RecipeFailure, type BrowserFact } from '../model/errors.js';
import { childEnv } from '../process/child-env.js';
import { runProcess } from '../process/run-process.js';

export type { Browser, BrowserContext, Page } from 'playwright-core';

export const chromiumPath = process.env.CCCI_CHROMIUM ?? '/usr/bin/chromium';

/** How cc-ci starts Chromium everywhere: headless, no sandbox, nothing fetched in the background. */
export const chromiumFlags: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

export interface LaunchOptions {
  /** Default chromiumPath (CCCI_CHROMIUM, else /usr/bin/chromium). */
  executablePath?: string;
  /** Host names Chromium resolves to these addresses (an app's domain to the ingress). */
  hosts?: Record<string, string>;
  /** How long the start may take; Playwright's default without it. */
  timeoutMs?: number;
  /** A CA (PEM) to trust besides the system's: swarm.ingressCa. Certificate checks stay on. */
  trustCa?: string;
}

export const CERTUTIL = process.env.CCCI_CERTUTIL ?? 'certutil';

/**
 * A fresh HOME whose NSS database (~/.pki/nssdb, where Chromium on Linux looks) trusts `ca` for
 * servers, made with Debian's certutil (libnss3-tools). Removed when the browser goes.
 */
async function homeTrusting(ca: string): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'cc-ci-chromium-'));
  try {
    const db = join(home, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    const caFile = join(home, 'ingress-ca.pem');
    writeFileSync(caFile, ca);
    const certutil = async (args: string[]) => {
      const r = await runProcess(CERTUTIL, ['-d', `sql:${db}`, ...args], { env: childEnv(), timeoutMs: 30_000 });
      if (r.exitCode !== 0)
        throw new Error(`${CERTUTIL} ${args[0]}: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
    };
    await certutil(['-N', '--empty-password']);
    await certutil(['-A', '-n', 'cc-ci ingress CA', '-t', 'C,,', '-i', caFile]);
    return home;
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw new CcciError(
      'BROWSER_FAILED',
      `Chromium could not be made to trust swarm.ingressCa: ${firstLine(err)} ` +
        "(certutil comes with Debian's libnss3-tools: apt-get install libnss3-tools)",
      { cause: err, fact: { source: 'browser', what: 'did-not-start' } },
    );
  }
}

/**
 * Starts Chromium. When it will not start: CcciError BROWSER_FAILED ("Chromium (<path>) could not
 * start: <first line>", the fact did-not-start) whose cause is Playwright's own error.
 */
export async function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  const executablePath = opts.executablePath ?? chromiumPath;
  const rules = Object.entries(opts.hosts ?? {}).map(([host, to]) => `MAP ${host} ${to}`);
  // Loaded on first use: playwright-core alone costs most of a second of start-up.
  const { chromium } = await import('playwright-core');
  const home = opts.trustCa !== undefined ? await homeTrusting(opts.trustCa) : undefined;
  const removeHome = () => {
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
  };
  try {
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
      args: [...chromiumFlags, ...(rules.length > 0 ? [`--host-resolver-rules=${rules.join(',')}`] : [])],
      ...(home !== undefined ? { env: childEnv({ HOME: home }) } : {}),
    });
    if (home !== undefined) browser.on('disconnected', removeHome);
    return browser;
  } catch (err) {
    removeHome();
    throw new CcciError('BROWSER_FAILED', `Chromium (${executablePath}) could not start: ${firstLine(err)}`, {
      cause: err,
      fact: { source: 'browser', what: 'did-not-start' },
    });
  }
}

/** A new page of `browser`; when Chromium cannot open one: CcciError BROWSER_FAILED, the fact no-page. */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Page> {
  try {
    return await browser.newPage({ viewport });
  } catch (err) {
    throw new CcciError('BROWSER_FAILED', `Chromium could not open a page: ${firstLine(err)}`, {
      cause: err,
      fact: { source: 'browser', what: 'no-page' },
    });
  }
}

/**
 * What Playwright's error says happened, when it says: Chromium's connection to the ingress was
 * refused, reset or its certificate rejected; Chromium went away; the load timed out.
 */
export function readPageError(err: unknown): BrowserFact | undefined {
  const message = firstLine(err);
  // ERR_NETWORK_CHANGED: the host's interfaces changed under the load (swarm adds veths as tasks start)
  const refused =
    /net::(ERR_(?:CONNECTION_(?:REFUSED|RESET|CLOSED)|ADDRESS_UNREACHABLE|NAME_NOT_RESOLVED|NETWORK_CHANGED))/;
  const tls = /net::(ERR_(?:CERT|SSL)_\w*)/;
  const net = (refused.exec(message) ?? tls.exec(message))?.[1];
  if (net) return { source: 'browser', what: 'connection-failed', net };
  if (/has been closed|Target closed|crash/i.test(message)) return { source: 'browser', what: 'crashed' };
  if (/Timeout \d+ms exceeded/i.test(message)) return { source: 'browser', what: 'load-timeout' };
  return undefined;
}

/** What happened when loading `url` broke (readPageError, else load-failed); cc-ci's own errors pass as they are. */
export function pageFailure(err: unknown, url: string): Error {
  if (err instanceof CcciError || err instanceof FactError || err instanceof RecipeFailure) return err;
  const fact = readPageError(err) ?? { source: 'browser', what: 'load-failed' };
  const said = firstLine(err);
  const message = `${fact.what === 'crashed' ? 'Chromium went away loading' : 'could not load'} ${url}: ${said}`;
  return new FactError(fact, message, { cause: err });
}

function firstLine(err: unknown): string {
  return errorMessage(err).split('\n')[0] ?? '';
}
