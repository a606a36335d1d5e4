// `cc-ci serve` refuses to start when abra does not know swarm.server: every run would be refused
// before its folder exists and end `errored` as INTERNAL. The refusal is CONFIG_INVALID (exit 2),
// names the missing folder and the fix, and comes before anything is opened (no store, no runs).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { CcciError, exitCodeFor } from '../../../src/model/errors.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { startServing } from '../../../src/wiring/serve.js';

const root = mkdtempSync(join(tmpdir(), 'cc-ci-serve-abra-server-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function world(withServer: boolean) {
  const dir = mkdtempSync(join(root, 'w-'));
  mkdirSync(join(dir, 'abra', 'servers'), { recursive: true });
  if (withServer) mkdirSync(join(dir, 'abra', 'servers', 'ci.example.org'));
  // No abra at that path: a start that gets past the server check stops at the abra check, before serving.
  writeFileSync(
    join(dir, 'cc-ci.yml'),
    [
      `swarm: {server: ci.example.org, domain: ci.test, abraDir: ./abra, abra: ${join(dir, 'no-abra')}}`,
      'store: ./store',
      'dashboard: {listen: "127.0.0.1:0"}',
    ].join('\n'),
  );
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), env: { CCCI_ADMIN_TOKEN: 'x'.repeat(32) }, secrets });
  const log = createLogger({ secrets, console: false, level: 'silent' }).log;
  return { dir, config, start: () => startServing(config, secrets, log) };
}

async function refusal(start: () => Promise<unknown>): Promise<CcciError> {
  const err = await start().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CcciError);
  return err as CcciError;
}

describe('serve without the abra server entry', () => {
  it('refuses to start (CONFIG_INVALID, exit 2), naming the folder and the fix; no store is opened', async () => {
    const { dir, config, start } = world(false);
    const err = await refusal(start);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toContain(join(dir, 'abra', 'servers', 'ci.example.org'));
    expect(err.message).toMatch(/abra server add ci\.example\.org/);
    // Refused before the store (and with it the run queue and the HTTP server) exists: no run is accepted.
    expect(existsSync(config.store)).toBe(false);
  });

  it('with the entry, start-up goes past it (here to the abra check)', async () => {
    const { start } = world(true);
    const err = await refusal(start);
    expect(err.code).toBe('ABRA_FAILED');
  });
});
