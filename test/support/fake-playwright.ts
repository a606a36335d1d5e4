// Stands in for playwright-core in unit tests, so no Chromium starts: a test file says
//   vi.mock('playwright-core', () => import('../../support/fake-playwright.js'));
// and AppBrowser's browser checks then load pages from the fake ingress over real HTTP. The
// page resolves the app's domain with the --host-resolver-rules AppBrowser passes to Chromium,
// and a failed connection reads the way Chromium words it, so classifyBrowserError is exercised.
import { writeFileSync } from 'node:fs';
import { RecipeFailure } from '../../src/model/errors.js';
import { htmlTitle, requestViaIngress } from '../../src/stages/checks/ingress-request.js';

export const fakeChromium = {
  /** The args of every launch. */
  launches: [] as string[][],
  /** The URLs pages were sent to. */
  visited: [] as string[],
  /** When set, launching fails with it (Chromium missing or broken). */
  launchError: undefined as Error | undefined,
  /** Errors the next page loads fail with, one each, before a load goes through. */
  gotoErrors: [] as Error[],
  reset(): void {
    this.launches.length = 0;
    this.visited.length = 0;
    this.launchError = undefined;
    this.gotoErrors.length = 0;
  },
};

// A PNG signature: enough for "a screenshot was written".
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

class FakePage {
  private body = '';

  constructor(private readonly hosts: Map<string, string>) {}

  async goto(url: string, opts: { timeout?: number } = {}): Promise<{ status(): number }> {
    fakeChromium.visited.push(url);
    const planned = fakeChromium.gotoErrors.shift();
    if (planned) throw planned;
    const u = new URL(url);
    const ip = this.hosts.get(u.hostname);
    if (!ip) throw new Error(`page.goto: net::ERR_NAME_NOT_RESOLVED at ${url}`);
    try {
      const res = await requestViaIngress(
        { url: `${u.protocol}//${ip}:${u.port}` },
        u.hostname,
        `${u.pathname}${u.search}`,
        {
          timeoutMs: opts.timeout,
        },
      );
      this.body = res.body;
      return { status: () => res.status };
    } catch (err) {
      // Chromium's words: no answer in time, or a connection the other side refused.
      if (err instanceof RecipeFailure) throw new Error(`page.goto: Timeout ${opts.timeout ?? 30_000}ms exceeded.`);
      throw new Error(`page.goto: net::ERR_CONNECTION_REFUSED at ${url}`, { cause: err });
    }
  }

  async title(): Promise<string> {
    return htmlTitle(this.body) ?? '';
  }

  async screenshot(opts: { path: string }): Promise<Buffer> {
    writeFileSync(opts.path, PNG);
    return PNG;
  }

  getByText(text: string): { count(): Promise<number> } {
    return { count: async () => (this.body.includes(text) ? 1 : 0) };
  }

  async close(): Promise<void> {}
}

class FakeBrowser {
  constructor(private readonly hosts: Map<string, string>) {}

  async newPage(): Promise<FakePage> {
    return new FakePage(this.hosts);
  }

  async close(): Promise<void> {}
}

export const chromium = {
  async launch(opts: { args?: string[] } = {}): Promise<FakeBrowser> {
    const args = opts.args ?? [];
    fakeChromium.launches.push(args);
    if (fakeChromium.launchError) throw fakeChromium.launchError;
    // --host-resolver-rules=MAP <domain> <address>
    const hosts = new Map<string, string>();
    for (const a of args) {
      const m = /^--host-resolver-rules=MAP (\S+) (\S+)$/.exec(a);
      if (m?.[1] && m[2]) hosts.set(m[1], m[2]);
    }
    return new FakeBrowser(hosts);
  },
};
