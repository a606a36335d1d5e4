// The demo's screenshots, taken in Chromium (src/browser/: Debian's, never downloaded): the PR as
// the maintainer sees it on the forge, and the dashboard. Full pages at 1280 px wide.
import { chromiumPath, launchChromium } from '../browser/chromium.js';
import { CcciError, errorMessage } from '../model/errors.js';

export async function screenshotPages(shots: Array<{ url: string; file: string }>): Promise<void> {
  const browser = await launchChromium({ timeoutMs: 30_000 }).catch((err: unknown) => {
    const why = err instanceof CcciError ? err.cause : err;
    const what = `starting Chromium (${chromiumPath}) for the demo's screenshots`;
    throw new CcciError('BROWSER_FAILED', `${what}: ${errorMessage(why)}`);
  });
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
