// The Chromium adapter: the only place that starts a browser. Always Debian's Chromium (never a
// downloaded one) through playwright-core, headless, with cc-ci's flags, and with Playwright's
// own signal handlers off: whoever owns the process (a run, the server, the demo) tears down on a
// signal, and Playwright's handlers would exit first. The checks, the summary card, the demo's
// screenshots and the doctor's probe all start Chromium here.
import type { Browser, Page } from 'playwright-core';
import { CcciError, errorMessage } from '../model/errors.js';

export type { Browser, BrowserContext, Page } from 'playwright-core';

export const chromiumPath = process.env.CCCI_CHROMIUM ?? '/usr/bin/chromium';

/** How cc-ci starts Chromium everywhere: headless, no sandbox, nothing fetched in the background. */
export const chromiumFlags: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
];

export interface LaunchOptions {
  /** Default chromiumPath (CCCI_CHROMIUM, else /usr/bin/chromium). */
  executablePath?: string;
  /** Host names Chromium resolves to these addresses (an app's domain to the ingress). */
  hosts?: Record<string, string>;
  /** How long the start may take; Playwright's default without it. */
  timeoutMs?: number;
}

/**
 * Starts Chromium. When it will not start: CcciError BROWSER_FAILED ("Chromium (<path>) could not
 * start: <first line>") whose cause is Playwright's own error.
 */
export async function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  const executablePath = opts.executablePath ?? chromiumPath;
  const rules = Object.entries(opts.hosts ?? {}).map(([host, to]) => `MAP ${host} ${to}`);
  // Loaded on first use: playwright-core alone costs most of a second of start-up.
  const { chromium } = await import('playwright-core');
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
      args: [...chromiumFlags, ...(rules.length > 0 ? [`--host-resolver-rules=${rules.join(',')}`] : [])],
    });
  } catch (err) {
    throw new CcciError('BROWSER_FAILED', `Chromium (${executablePath}) could not start: ${firstLine(err)}`,
      { cause: err });
  }
}

/** A new page of `browser`; when Chromium cannot open one: CcciError BROWSER_FAILED. */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Page> {
  try {
    return await browser.newPage({ viewport });
  } catch (err) {
    throw new CcciError('BROWSER_FAILED', `Chromium could not open a page: ${firstLine(err)}`, { cause: err });
  }
}

function firstLine(err: unknown): string {
  return errorMessage(err).split('\n')[0] ?? '';
}
