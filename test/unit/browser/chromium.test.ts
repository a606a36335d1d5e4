// The one Chromium adapter, with playwright-core faked (no browser starts): how it launches
// (Debian's binary, cc-ci's flags, Playwright's signal handlers off), what a start failure says,
// and the doctor's probe.
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

const { chromiumFlags, chromiumPath, launchChromium } = await import('../../../src/browser/chromium.js');
const { probeChromium } = await import('../../../src/browser/probe.js');
const { CcciError } = await import('../../../src/model/errors.js');

beforeEach(() => {
  launches.length = 0;
  launchError = undefined;
});

describe('launchChromium', () => {
  it('starts Debian\'s Chromium headless with cc-ci\'s flags and no Playwright signal handlers', async () => {
    await launchChromium();
    expect(launches[0]).toEqual({
      executablePath: chromiumPath, headless: true, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
      args: [...chromiumFlags],
    });
    expect(chromiumFlags).toEqual(expect.arrayContaining(['--headless', '--no-sandbox', '--disable-gpu']));
  });
  it('maps an app\'s domain to the ingress; passes a start timeout and another binary when asked', async () => {
    await launchChromium({ executablePath: '/opt/chromium', hosts: { 'a.ci.test': '127.0.0.1' }, timeoutMs: 20_000 });
    expect(launches[0]).toMatchObject({
      executablePath: '/opt/chromium', timeout: 20_000,
      args: [...chromiumFlags, '--host-resolver-rules=MAP a.ci.test 127.0.0.1'],
    });
  });
  it('a Chromium that will not start: BROWSER_FAILED, with Playwright\'s error as the cause', async () => {
    launchError = new Error('browserType.launch: Failed to launch chromium\nlong log');
    const err = await launchChromium().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CcciError);
    expect(err).toMatchObject({
      code: 'BROWSER_FAILED',
      message: `Chromium (${chromiumPath}) could not start: browserType.launch: Failed to launch chromium`,
      cause: launchError,
    });
  });
});

describe('the doctor\'s probe', () => {
  it('says when the binary is not there, without starting anything', async () => {
    expect(await probeChromium('/nonexistent/chromium'))
      .toEqual({ ok: false, detail: '/nonexistent/chromium is not there (or not executable)' });
    expect(launches).toHaveLength(0);
  });
  it('starts it the way cc-ci does and reads its version', async () => {
    expect(await probeChromium('/bin/sh', 5_000))
      .toEqual({ ok: true, detail: 'Chromium 140.0 starts headless (/bin/sh)' });
    expect(launches[0]).toMatchObject({ executablePath: '/bin/sh', timeout: 5_000, args: [...chromiumFlags] });
  });
  it('quotes Playwright\'s own words when it will not start', async () => {
    launchError = new Error('browserType.launch: Executable doesn\'t exist');
    const answer = await probeChromium('/bin/true');
    expect(answer.ok).toBe(false);
    expect(answer.detail).toMatch(/would not start headless: browserType\.launch: Executable doesn't exist$/);
  });
});
