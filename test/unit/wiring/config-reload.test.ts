// serve's config reload in-process: a changed file (replaced by a rename, as editors do) is read
// again after a quiet moment and its forge.repos handed to serve; other changed settings are named
// as needing a restart; a file that no longer validates is logged and nothing is handed over.
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { changedKeys, restartKeys } from '../../../src/config/config-changes.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { startConfigReload, type ConfigReload } from '../../../src/wiring/config-reload.js';

const forge = 'forge: {type: gitea, url: "https://git.example.org", org: coop-cloud';
const text = (repos: string, capacity = 1) =>
  `${forge}, repos: ${repos}}\nswarm: {server: default, domain: ci.test}\nrunner: {capacity: ${capacity}}\n`;

let reloader: ConfigReload | undefined;
afterEach(() => reloader?.close());

function world(first: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cc-ci-reload-'));
  mkdirSync(join(dir, 'tmp'));
  const file = join(dir, 'cc-ci.yml');
  writeFileSync(file, first);
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: file, env: {}, secrets });
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const enrolled: Array<{ repos: readonly string[]; repoOrgs: readonly string[] }> = [];
  reloader = startConfigReload({
    config,
    secrets,
    log,
    serving: { enrol: async (r) => void enrolled.push(r) },
    debounceMs: 50,
  });
  // As an editor saves: a new file renamed over the old one.
  const save = (content: string) => {
    const tmp = join(dir, 'tmp', 'cc-ci.yml.new');
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  };
  return { config, lines, enrolled, save };
}

async function until(what: string, probe: () => boolean, ms = 5_000): Promise<void> {
  for (const deadline = Date.now() + ms; !probe(); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

describe('config reload', () => {
  it('a file replaced on disk: forge.repos handed to serve, other changes named as needing a restart', async () => {
    const w = world(text('[coop-cloud/a]'));
    w.save(text('[coop-cloud/a, {org: more}]', 4));
    await until('the reload', () => w.enrolled.length > 0);
    expect(w.enrolled[0]).toEqual({ repos: ['coop-cloud/a'], repoOrgs: ['more'] });
    const line = w.lines.find((l) => l.msg.startsWith('config reloaded (the file changed)'))!;
    expect(line.msg).toContain('these changed settings need a restart of cc-ci serve: runner.capacity');
  });

  it('a file that no longer validates: logged with why, nothing handed over', async () => {
    const w = world(text('[coop-cloud/a]'));
    w.save(text('[coop-cloud/a, nope]'));
    await until('the refusal', () => w.lines.some((l) => l.level === 50));
    const err = w.lines.find((l) => l.level === 50)!;
    expect(err.msg).toContain('so the config read before stays in effect');
    expect(err.msg).toContain('forge.repos.1: expected owner/name');
    expect(w.enrolled).toEqual([]);
    // Fixed and saved again: taken.
    w.save(text('[coop-cloud/b]'));
    await until('the reload', () => w.enrolled.length > 0);
    expect(w.enrolled[0]!.repos).toEqual(['coop-cloud/b']);
  });

  it('reload() (SIGHUP) reads the file even when the watch saw nothing', async () => {
    const w = world(text('[coop-cloud/a]'));
    await reloader!.reload('SIGHUP');
    expect(w.enrolled).toEqual([{ repos: ['coop-cloud/a'], repoOrgs: [] }]);
    expect(w.lines.some((l) => l.msg.includes('config reloaded (SIGHUP)') && l.msg.includes('no other setting'))).toBe(
      true,
    );
  });

  it('changedKeys names settings, never values; forge.repos is live', () => {
    const secrets = new SecretRegistry();
    const dir = mkdtempSync(join(tmpdir(), 'cc-ci-keys-'));
    const load = (t: string) => {
      writeFileSync(join(dir, 'cc-ci.yml'), t);
      return loadConfig({ path: join(dir, 'cc-ci.yml'), env: {}, secrets });
    };
    const a = load(text('[coop-cloud/a]'));
    const b = load(text('[{org: coop-cloud}]', 2));
    const changed = changedKeys(a, b);
    expect(changed).toEqual(['forge.repoOrgs', 'forge.repos', 'runner.capacity']);
    expect(restartKeys(changed)).toEqual(['runner.capacity']);
  });
});
