// The one Chromium adapter, with playwright-core faked (no browser starts): how it launches
// (Debian's binary, cc-ci's flags, Playwright's signal handlers off), what a start failure says,
// and how a page's error is read into a fact.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const launches: Array<Record<string, unknown>> = [];
let launchError: Error | undefined;
vi.mock('playwright-core', () => ({
  chromium: {
    launch: async (opts: Record<string, unknown>) => {
      launches.push(opts);
      if (launchError) throw launchError;
      return { version: () => '140.0', close: async () => undefined };
    },
  },
}));

const { chromiumFlags, chromiumPath, launchChromium, pageFailure, readPageError } =
  await import('../../../src/browser/chromium.js');
const { probeChromium } = await import('../../../src/browser/probe.js');
const { CcciError, FactError } = await import('../../../src/model/errors.js');

beforeEach(() => {
  launches.length = 0;
  launchError = undefined;
});

describe('launchChromium', () => {
  it("starts Debian's Chromium headless with cc-ci's flags and no Playwright signal handlers", async () => {
    await launchChromium();
    expect(launches[0]).toEqual({
      executablePath: chromiumPath,
      headless: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [...chromiumFlags],
    });
    expect(chromiumFlags).toEqual(expect.arrayContaining(['--headless', '--no-sandbox', '--disable-gpu']));
  });
  it("maps an app's domain to the ingress; passes a start timeout and another binary when asked", async () => {
    await launchChromium({ executablePath: '/opt/chromium', hosts: { 'a.ci.test': '127.0.0.1' }, timeoutMs: 20_000 });
    expect(launches[0]).toMatchObject({
      executablePath: '/opt/chromium',
      timeout: 20_000,
      args: [...chromiumFlags, '--host-resolver-rules=MAP a.ci.test 127.0.0.1'],
    });
  });
  it("a Chromium that will not start: BROWSER_FAILED, did-not-start, Playwright's error as the cause", async () => {
    launchError = new Error('browserType.launch: Failed to launch chromium\nlong log');
    const err = await launchChromium().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CcciError);
    expect(err).toMatchObject({
      code: 'BROWSER_FAILED',
      message: `Chromium (${chromiumPath}) could not start: browserType.launch: Failed to launch chromium`,
      fact: { source: 'browser', what: 'did-not-start' },
      cause: launchError,
    });
  });
});

describe("reading a page's error", () => {
  const refused = { what: 'connection-failed', net: 'ERR_CONNECTION_REFUSED' };
  it.each([
    ['page.goto: net::ERR_CONNECTION_REFUSED at http://a/', refused],
    ['page.goto: net::ERR_CONNECTION_RESET at http://a/', { what: 'connection-failed', net: 'ERR_CONNECTION_RESET' }],
    ['page.goto: net::ERR_CERT_AUTHORITY_INVALID', { what: 'connection-failed', net: 'ERR_CERT_AUTHORITY_INVALID' }],
    ['page.goto: net::ERR_NAME_NOT_RESOLVED at http://a/', { what: 'connection-failed', net: 'ERR_NAME_NOT_RESOLVED' }],
    ['page.goto: Target page, context or browser has been closed', { what: 'crashed' }],
    ['page.goto: Page crashed', { what: 'crashed' }],
    ['page.goto: Timeout 30000ms exceeded.', { what: 'load-timeout' }],
  ])('%s', (message, fact) => {
    expect(readPageError(new Error(message))).toEqual({ source: 'browser', ...fact });
  });
  it("says nothing of an error that is not a page's", () => {
    expect(readPageError(new Error('expected Welcome'))).toBeUndefined();
  });
  it("pageFailure quotes the URL, is load-failed when nothing more is known, and passes cc-ci's errors", () => {
    const err = pageFailure(new Error('page.goto: net::ERR_CONNECTION_REFUSED at http://a/\nCall log'), 'http://a/');
    expect(err).toBeInstanceOf(FactError);
    expect(err.message).toBe('could not load http://a/: page.goto: net::ERR_CONNECTION_REFUSED at http://a/');
    expect(pageFailure(new Error('Target closed'), 'http://a/').message).toBe(
      'Chromium went away loading http://a/: Target closed',
    );
    expect(pageFailure(new Error('page.goto: net::ERR_ABORTED'), 'http://a/')).toMatchObject({
      fact: { what: 'load-failed' },
    });
    const own = new CcciError('BROWSER_FAILED', 'Chromium could not open a page');
    expect(pageFailure(own, 'http://a/')).toBe(own);
  });
});

describe("the doctor's probe", () => {
  it('says when the binary is not there, without starting anything', async () => {
    expect(await probeChromium('/nonexistent/chromium')).toEqual({
      ok: false,
      detail: '/nonexistent/chromium is not there (or not executable)',
    });
    expect(launches).toHaveLength(0);
  });
  it('starts it the way cc-ci does and reads its version', async () => {
    expect(await probeChromium('/bin/sh', 5_000)).toEqual({
      ok: true,
      detail: 'Chromium 140.0 starts headless (/bin/sh)',
    });
    expect(launches[0]).toMatchObject({ executablePath: '/bin/sh', timeout: 5_000, args: [...chromiumFlags] });
  });
  it("quotes Playwright's own words when it will not start", async () => {
    launchError = new Error("browserType.launch: Executable doesn't exist");
    const answer = await probeChromium('/bin/true');
    expect(answer.ok).toBe(false);
    expect(answer.detail).toMatch(/would not start headless: browserType\.launch: Executable doesn't exist$/);
  });
});
