// The doctor's look at Chromium: does it start headless the way cc-ci starts it (launchChromium),
// and when not, is the binary there and what does `--version` say.
import { accessSync, constants } from 'node:fs';
import { errorMessage } from '../model/errors.js';
import { childEnv } from '../process/child-env.js';
import { runProcess } from '../process/run-process.js';
import { chromiumPath, launchChromium } from './chromium.js';

export interface ChromiumAnswer {
  ok: boolean;
  /** The browser's version when it started; else what went wrong. */
  detail: string;
}

const VERSION_TIMEOUT_MS = 5_000;

/** Starts Chromium, reads its version and closes it; never downloads a browser. */
export async function probeChromium(executablePath = chromiumPath, timeoutMs = 20_000): Promise<ChromiumAnswer> {
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    return { ok: false, detail: `${executablePath} is not there (or not executable)` };
  }
  try {
    const browser = await launchChromium({ executablePath, timeoutMs });
    try {
      return { ok: true, detail: `Chromium ${browser.version()} starts headless (${executablePath})` };
    } finally {
      await browser.close().catch(() => undefined);
    }
  } catch (err) {
    const v = await runProcess(executablePath, ['--version'], {
      env: childEnv(),
      timeoutMs: VERSION_TIMEOUT_MS,
    }).catch(() => undefined);
    const version = v && v.exitCode === 0 ? `${v.stdout.trim()} is installed but ` : '';
    // Playwright's own words, not the adapter's "could not start" around them.
    const why = errorMessage((err as Error).cause ?? err).split('\n')[0];
    return { ok: false, detail: `${version}${executablePath} would not start headless: ${why}` };
  }
}
