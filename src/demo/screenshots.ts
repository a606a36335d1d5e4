// The demo's screenshots, taken in Chromium (never downloaded: Debian's, at chromiumPath): the PR
// as the maintainer sees it on the forge, and the dashboard. Full pages at 1280 px wide.
import { CcciError, errorMessage } from '../model/errors.js';
import { chromiumFlags, chromiumPath } from '../stages/checks/browser.js';

export async function screenshotPages(shots: Array<{ url: string; file: string }>): Promise<void> {
  const { chromium } = await import('playwright-core');
  // The demo's own signal handlers stop everything in order; Playwright's would exit at once.
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags, timeout: 30_000, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false })
    .catch((err: unknown) => { throw new CcciError('BROWSER_FAILED', `starting Chromium (${chromiumPath}) for the demo's screenshots: ${errorMessage(err)}`); });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    for (const shot of shots) {
      await page.goto(shot.url, { waitUntil: 'load', timeout: 30_000 });
      await page.screenshot({ path: shot.file, fullPage: true });
    }
  } finally {
    await browser.close().catch(() => undefined);
  }
}
