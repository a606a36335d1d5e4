// Chromium trusts swarm.ingressCa through an NSS database in a HOME of its own per launch (made with
// Debian's certutil, as Chromium on Linux reads ~/.pki/nssdb); the HOME goes with the browser.
// playwright-core is faked (no browser starts); certutil is real.
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { TestCa } from '../../support/test-ca.js';

const launches: Array<{ env?: Record<string, string> }> = [];
const browsers: EventEmitter[] = [];
vi.mock('playwright-core', () => ({
  chromium: {
    launch: async (opts: { env?: Record<string, string> }) => {
      launches.push(opts);
      const browser = new EventEmitter();
      browsers.push(browser);
      return browser;
    },
  },
}));

const { launchChromium } = await import('../../../src/browser/chromium.js');

function caPem(): string {
  const certs = new TestCa();
  const pem = certs.caPem('test ingress CA');
  certs.remove();
  return pem;
}

describe('launchChromium with trustCa', () => {
  it('starts Chromium with a fresh HOME whose NSS database trusts the CA, removed when it goes', async () => {
    await launchChromium({ trustCa: caPem() });
    const env = launches[0]?.env;
    expect(Object.keys(env ?? {}).sort()).toEqual(['HOME', 'PATH']);
    const home = env?.HOME ?? '';
    const listed = execFileSync('certutil', ['-L', '-d', `sql:${join(home, '.pki', 'nssdb')}`], { encoding: 'utf8' });
    expect(listed).toMatch(/cc-ci ingress CA\s+C,,/);
    browsers[0]!.emit('disconnected');
    expect(existsSync(home)).toBe(false);
  });
  it('without trustCa, Chromium keeps the environment it had (no HOME of its own)', async () => {
    launches.length = 0;
    await launchChromium();
    expect(launches[0]?.env).toBeUndefined();
  });
});
