// The browser check: real Chromium (src/browser/) opens the app through the ingress, waits for
// the page, saves a screenshot, and records the title. Chromium resolves the app's domain to the
// ingress address, so Host and SNI are the app's, as a visitor's would be. A stopped run closes
// Chromium at once so a pending page load ends. What the page showed, or why it did not load, is
// reported as a fact; blame.ts judges it.
import { launchChromium, openPage, pageFailure, type Browser, type Page } from '../../browser/chromium.js';
import { CcciError } from '../../model/errors.js';
import { rowFromError, rowFromFact } from '../../model/blame.js';
import type { CheckRow } from '../../model/stage.js';
import { appBaseUrl, type Ingress } from './ingress-request.js';

export const PAGE_LOAD_TIMEOUT_MS = 30_000;

export interface BrowserCheck {
  path: string;
  /** Text the page must show, when given. */
  see?: string;
  screenshotFile: string;
  timeoutMs?: number;
}

/** One Chromium per app, shared by its browser checks; it can be started while the stack converges. */
export class AppBrowser {
  private launching: Promise<Browser> | undefined;

  constructor(
    private readonly ingress: Ingress,
    private readonly domain: string,
    private readonly signal?: AbortSignal,
  ) {
    signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Starts Chromium now, so the first check does not wait for it (a failure surfaces at that check). */
  warm(): void {
    this.browser().catch(() => undefined);
  }

  async check(check: BrowserCheck): Promise<CheckRow> {
    const started = Date.now();
    const url = `${appBaseUrl(this.ingress, this.domain)}${check.path}`;
    const name =
      check.see === undefined ? `browser ${check.path}` : `browser ${check.path} shows ${JSON.stringify(check.see)}`;
    let page: Page | undefined;
    try {
      page = await this.newPage();
      const response = await gotoRetryingNetworkChanges(page, url, check.timeoutMs ?? PAGE_LOAD_TIMEOUT_MS);
      const status = response?.status() ?? 0;
      const title = await page.title();
      await page.screenshot({ path: check.screenshotFile, fullPage: false });
      const seen = check.see === undefined || (await page.getByText(check.see).count()) > 0;
      const ok = status > 0 && status < 500 && seen;
      const detail =
        `${status}, title ${JSON.stringify(title)}` +
        (check.see && !seen ? `; the page does not show ${JSON.stringify(check.see)}` : '');
      const artifact = check.screenshotFile.split('/').pop();
      if (ok) return { name, status: 'pass', detail, durationMs: Date.now() - started, artifact };
      const fact = { source: 'browser', what: seen ? 'error-status' : 'text-not-seen' } as const;
      return rowFromFact(name, fact, { detail, durationMs: Date.now() - started, artifact });
    } catch (err) {
      return rowFromError(name, pageFailure(err, url), this.signal, started);
    } finally {
      await page?.close().catch(() => undefined);
    }
  }

  /** A page that reaches the app's domain (also handed to custom checks). */
  async newPage(): Promise<Page> {
    return openPage(await this.browser());
  }

  async close(): Promise<void> {
    const browser = await this.launching?.catch(() => undefined);
    await browser?.close().catch(() => undefined);
  }

  private browser(): Promise<Browser> {
    this.launching ??= (async () => {
      if (this.signal?.aborted) throw new CcciError('CANCELLED', 'the run was stopped before Chromium started');
      return launchChromium({
        hosts: { [this.domain]: new URL(this.ingress.url).hostname },
        ...(this.ingress.ca !== undefined ? { trustCa: this.ingress.ca } : {}),
      });
    })();
    return this.launching;
  }
}

/** How often a load is tried when Chromium says the network changed under it. */
export const NETWORK_CHANGED_TRIES = 3;

/**
 * What Chromium says when it dropped a load because the host's network changed: net::ERR_NETWORK_CHANGED,
 * or (when its error page won the race) Playwright's "interrupted by another navigation to chrome-error://".
 */
const NETWORK_CHANGED =
  /net::ERR_NETWORK_CHANGED|interrupted by another navigation to "chrome-error:\/\/chromewebdata\//;

/**
 * page.goto, tried again (half a second later) when Chromium aborts the load because the network
 * changed: on a swarm host, interfaces come and go as tasks start (veths, bridges), and Chromium
 * drops what is in flight when it sees that. That says nothing about the app; a load that keeps
 * failing so is reported as it failed.
 */
async function gotoRetryingNetworkChanges(page: Page, url: string, timeoutMs: number) {
  for (let tries = 1; ; tries += 1) {
    try {
      return await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
    } catch (err) {
      if (tries >= NETWORK_CHANGED_TRIES || !NETWORK_CHANGED.test(String(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
