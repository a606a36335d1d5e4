// The browser check: real Chromium (Debian's, never a downloaded one) opens the app through the
// ingress, waits for the page, saves a screenshot, and records the title. Chromium resolves the
// app's domain to the ingress address, so Host and SNI are the app's, as a visitor's would be.
import type { Browser, Page } from 'playwright-core';
import { errorMessage } from '../../errors.js';
import type { CheckRow } from '../../model/stage.js';
import { appBaseUrl } from './ingress-request.js';

export const chromiumPath = process.env.CCCI_CHROMIUM ?? '/usr/bin/chromium';

const chromiumFlags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
];

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

  constructor(private readonly ingress: string, private readonly domain: string) {}

  /** Starts Chromium now, so the first check does not wait for it (a failure surfaces at that check). */
  warm(): void {
    this.browser().catch(() => undefined);
  }

  async check(check: BrowserCheck): Promise<CheckRow> {
    const started = Date.now();
    const url = `${appBaseUrl(this.ingress, this.domain)}${check.path}`;
    const name = check.see === undefined ? `browser ${check.path}` : `browser ${check.path} shows ${JSON.stringify(check.see)}`;
    // A browser that cannot start is infrastructure: that error is thrown, not turned into a fail row.
    const page = await this.newPage();
    try {
      const response = await page.goto(url, { waitUntil: 'load', timeout: check.timeoutMs ?? 30_000 });
      const status = response?.status() ?? 0;
      const title = await page.title();
      await page.screenshot({ path: check.screenshotFile, fullPage: false });
      const seen = check.see === undefined || (await page.getByText(check.see).count()) > 0;
      const ok = status > 0 && status < 500 && seen;
      const detail = `${status}, title ${JSON.stringify(title)}${check.see && !seen ? `; the page does not show ${JSON.stringify(check.see)}` : ''}`;
      return { name, status: ok ? 'pass' : 'fail', detail, durationMs: Date.now() - started, artifact: check.screenshotFile.split('/').pop() };
    } catch (err) {
      return { name, status: 'fail', detail: `could not load ${url}: ${errorMessage(err).split('\n')[0]}`, durationMs: Date.now() - started };
    } finally {
      await page.close();
    }
  }

  /** A page that reaches the app's domain (also handed to custom checks). */
  async newPage(): Promise<Page> {
    return (await this.browser()).newPage({ viewport: { width: 1280, height: 800 } });
  }

  async close(): Promise<void> {
    const browser = await this.launching?.catch(() => undefined);
    await browser?.close();
  }

  private browser(): Promise<Browser> {
    this.launching ??= (async () => {
      // Loaded on first use: playwright-core alone costs most of a second of start-up.
      const { chromium } = await import('playwright-core');
      return chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: [...chromiumFlags, `--host-resolver-rules=MAP ${this.domain} ${new URL(this.ingress).hostname}`],
      });
    })();
    return this.launching;
  }
}
