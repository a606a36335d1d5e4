// Draws HTML into a PNG with the Chromium cc-ci already drives (src/browser/: Debian's, never a
// downloaded one): one browser, launched on first use and shared for the server's life, with one
// context (JavaScript off, offline, every request refused) and a fresh page per render, closed after. At
// most `concurrency` pages at once and at most `maxWaiting` renders waiting for one; a render
// beyond that is refused at once. A
// Chromium that cannot start is not tried again for `retryAfterMs`; one that went away is
// started again on the next render. Playwright installs no signal handlers: the server owns them.
import { chromiumPath, launchChromium, type Browser, type BrowserContext } from '../browser/chromium.js';
import { CcciError, errorMessage } from '../model/errors.js';

export interface CardRendererOptions {
  executablePath?: string;
  /** Pages open at once. */
  concurrency?: number;
  /** Renders that may wait for a page; more are refused (BUSY). */
  maxWaiting?: number;
  /** After a failed start, renders fail at once for this long before Chromium is tried again. */
  retryAfterMs?: number;
  launchTimeoutMs?: number;
  renderTimeoutMs?: number;
  /** Told when Chromium could not start or went away. */
  onBrowserProblem?: (message: string) => void;
}

export interface RenderSize {
  width: number;
  height: number;
}

/** Why a render did not happen: Chromium is unavailable, or too many renders are waiting. */
export class RenderUnavailable extends Error {
  constructor(
    readonly reason: 'browser' | 'busy' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'RenderUnavailable';
  }
}

interface Session {
  browser: Browser;
  context: BrowserContext;
}

export class CardRenderer {
  private readonly executablePath: string;
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private readonly retryAfterMs: number;
  private readonly launchTimeoutMs: number;
  private readonly renderTimeoutMs: number;
  private launching: Promise<Session> | undefined;
  private failedAt = 0;
  private failure = '';
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly opts: CardRendererOptions = {}) {
    this.executablePath = opts.executablePath ?? chromiumPath;
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.maxWaiting = Math.max(0, opts.maxWaiting ?? 32);
    this.retryAfterMs = opts.retryAfterMs ?? 10_000;
    this.launchTimeoutMs = opts.launchTimeoutMs ?? 20_000;
    this.renderTimeoutMs = opts.renderTimeoutMs ?? 15_000;
  }

  /** Pages open now, and renders waiting for one. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** The PNG of `html` at `size` (CSS pixels, device scale 1). */
  async render(html: string, size: RenderSize): Promise<Buffer> {
    await this.acquire();
    try {
      const { context } = await this.session();
      let page;
      try {
        page = await context.newPage();
      } catch (err) {
        throw new RenderUnavailable('browser', `Chromium could not open a page: ${firstLine(err)}`);
      }
      try {
        await page.setViewportSize(size);
        await page.setContent(html, { waitUntil: 'load', timeout: this.renderTimeoutMs });
        return await page.screenshot({
          type: 'png',
          clip: { x: 0, y: 0, ...size },
          animations: 'disabled',
          caret: 'hide',
          timeout: this.renderTimeoutMs,
        });
      } finally {
        await page.close().catch(() => undefined);
      }
    } finally {
      this.release();
    }
  }

  /** Closes Chromium; later renders are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    const session = await this.launching?.catch(() => undefined);
    this.launching = undefined;
    await session?.browser.close().catch(() => undefined);
  }

  private acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new RenderUnavailable('closed', 'the server is stopping'));
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new RenderUnavailable(
          'busy',
          `too many cards are being drawn (${this.active} now, ${this.waiting.length} waiting)`,
        ),
      );
    }
    // release() hands its slot over, so `active` stays counted.
    return new Promise<void>((resolve, reject) => {
      this.waiting.push(() =>
        this.closed ? reject(new RenderUnavailable('closed', 'the server is stopping')) : resolve(),
      );
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private session(): Promise<Session> {
    if (this.closed) return Promise.reject(new RenderUnavailable('closed', 'the server is stopping'));
    if (!this.launching && this.failedAt && Date.now() - this.failedAt < this.retryAfterMs) {
      return Promise.reject(new RenderUnavailable('browser', this.failure));
    }
    this.launching ??= this.launch();
    return this.launching;
  }

  private async launch(): Promise<Session> {
    try {
      const browser = await launchChromium({ executablePath: this.executablePath, timeoutMs: this.launchTimeoutMs });
      browser.on('disconnected', () => {
        if (this.closed) return;
        this.launching = undefined;
        this.opts.onBrowserProblem?.('Chromium went away; it is started again on the next render');
      });
      if (this.closed) {
        await browser.close().catch(() => undefined);
        throw new RenderUnavailable('closed', 'the server is stopping');
      }
      let context: BrowserContext;
      try {
        context = await browser.newContext({ deviceScaleFactor: 1, javaScriptEnabled: false, offline: true });
        // Nothing leaves a page: the HTML has no external assets, and anything else is refused.
        await context.route(/^(?!data:|about:)/, (route) => route.abort());
      } catch (err) {
        await browser.close().catch(() => undefined);
        throw err;
      }
      this.failedAt = 0;
      return { browser, context };
    } catch (err) {
      this.launching = undefined;
      if (err instanceof RenderUnavailable) throw err;
      this.failedAt = Date.now();
      // Playwright's own words (launchChromium's error wraps them).
      const why = err instanceof CcciError ? err.cause : err;
      this.failure = `Chromium (${this.executablePath}) could not start: ${firstLine(why)}`;
      this.opts.onBrowserProblem?.(this.failure);
      throw new RenderUnavailable('browser', this.failure);
    }
  }
}

function firstLine(err: unknown): string {
  return errorMessage(err).split('\n')[0] ?? '';
}

/** The width and height of a PNG, from its IHDR chunk; undefined when it is not a PNG. */
export function pngSize(png: Uint8Array): RenderSize | undefined {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) return undefined;
  if (String.fromCharCode(png[12]!, png[13]!, png[14]!, png[15]!) !== 'IHDR') return undefined;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
