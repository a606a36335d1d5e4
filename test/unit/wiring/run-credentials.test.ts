// `cc-ci run --repo` with credentials in the URL is refused before the run has a folder, so the
// password is written nowhere (not to events.jsonl, run.log or results.json) and not repeated.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { runCommand } from '../../../src/wiring/run.js';

const dir = mkdtempSync(join(tmpdir(), 'cc-ci-run-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('refuses a --repo with a password before the run has a folder, without repeating the password', async () => {
  const config = join(dir, 'cc-ci.yml');
  writeFileSync(config, 'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n');
  const password = 'dummy-password-9c4e1a';
  const run = runCommand(
    'custom-html',
    { ref: 'main', repo: `https://bot:${password}@git.example.org/coop-cloud/custom-html.git`, config },
    new SecretRegistry(),
  );
  await expect(run).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  await expect(run).rejects.toThrow(/carries credentials.*credential helper/);
  await expect(run).rejects.not.toThrow(password);
  const runs = join(dir, 'store', 'runs');
  expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
});
