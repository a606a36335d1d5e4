// `cc-ci doctor` on the testbed (testbed/up must have run): all green against the testbed's
// config, the certificate its ingress serves included (and against the stand-in forge, with a
// forge section); an abra whose --help lacks --no-converge-checks is named by doctor and stops
// `cc-ci serve` at start-up; a dead Docker socket is named quickly, and what needs Docker is
// skipped rather than hung on.
import { readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startForge, type Forge } from '../../testbed/forge/server.js';
import { cli, configWith, repoRoot, runCli, testbedConfig } from './helpers.js';
import { serveConfig } from './serve-helpers.js';

const withoutNoConverge = `${repoRoot}/test/e2e/bin/abra-without-no-converge-checks`;

/** A copy of a config file with a change. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function edited(file: string, change: (doc: Record<string, any>) => void): string {
  const doc = parse(readFileSync(file, 'utf8'));
  change(doc);
  writeFileSync(file, stringify(doc));
  return file;
}

/** The line of one check: its mark, its name padded to the longest, then what it found. */
const line = (stdout: string, name: string) =>
  stdout.split('\n').find((l) => new RegExp(`^(ok|warn|FAIL|skip) +${name} {2,}`).test(l)) ?? '';

describe('cc-ci doctor', () => {
  it('is all green on the testbed (exit 0)', async () => {
    const r = await runCli(['doctor', '--config', testbedConfig]);
    expect(r.stdout, r.stdout + r.stderr).toMatch(/^all \d+ checks passed$/m);
    expect(r.exitCode).toBe(0);
    for (const name of [
      'abra',
      'abra commands',
      'abra server',
      'docker',
      'swarm',
      'proxy network',
      'backup-bot-two',
      'backup repository',
      'ingress',
      'ingress certificate',
      'store',
      'chromium',
    ]) {
      expect(line(r.stdout, name), name).toMatch(/^ok /);
    }
    expect(line(r.stdout, 'abra')).toMatch(/abra version \S+/);
    expect(line(r.stdout, 'backup-bot-two')).toMatch(/backups_app \(label coop-cloud\.backupbot\.enabled=true\)/);
    expect(line(r.stdout, 'backup repository')).toMatch(/restic in the bot reads its repository: \d+ snapshots?/);
    // The stand-in traefik serves the testbed's wildcard certificate, signed by the testbed's CA.
    expect(line(r.stdout, 'ingress certificate')).toMatch(
      /^ok +ingress certificate +\*\.ci\.test, valid until .*, chain to swarm\.ingressCa \(CN=[^)]+\)$/,
    );
  });

  it('names an abra flag cc-ci passes that the installed abra lacks, and exits 1', async () => {
    const r = await runCli(['doctor', '--config', configWith({ abra: withoutNoConverge })]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(line(r.stdout, 'abra commands')).toMatch(/^FAIL /);
    // the table's ids for the deploy calls may change; each is named
    expect(r.stdout).toMatch(
      new RegExp(
        String.raw`- abra app deploy has no --no-converge-checks \(passed by cc-ci's calls? ` +
          String.raw`"app deploy[^"]*"(, "app deploy[^"]*")*\)$`,
        'm',
      ),
    );
    expect(r.stdout).toMatch(/fix: install an abra whose --help lists them/);
    // only that flag: the rest of the table is there (optional flags are only noted)
    expect(r.stdout.split('\n').filter((l) => /^ +- /.test(l) && !/; optional: /.test(l))).toHaveLength(1);
    expect(line(r.stdout, 'docker')).toMatch(/^ok /);
  });

  it('names a Docker socket that is not there, quickly, and skips what needs Docker', async () => {
    const config = edited(configWith(), (doc) => {
      doc.swarm.dockerHost = 'unix:///nonexistent.sock';
    });
    const started = Date.now();
    const r = await runCli(['doctor', '--config', config]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(line(r.stdout, 'docker')).toMatch(/^FAIL +docker +no Docker engine answers at unix:\/\/\/nonexistent\.sock/);
    expect(r.stdout).toMatch(/fix: start dockerd, or set swarm\.dockerHost/);
    for (const name of ['swarm', 'proxy network', 'backup-bot-two', 'backup repository'])
      expect(line(r.stdout, name), name).toMatch(/^skip /);
    expect(line(r.stdout, 'abra')).toMatch(/^ok /);
  });

  it('a bad config is exit 2, as for the other commands', async () => {
    const config = edited(configWith(), (doc) => {
      doc.swarm.bogus = 1;
    });
    const r = await runCli(['doctor', '--config', config]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Unrecognized key: "bogus"/);
  });
});

describe('cc-ci doctor with a forge section (the stand-in forge)', () => {
  let forge: Forge;
  beforeAll(async () => {
    forge = await startForge({ seed: 'demo' });
  });
  afterAll(async () => {
    await forge?.close();
  });

  const forgeConfig = (repos: string[]) =>
    edited(configWith(), (doc) => {
      doc.forge = { type: 'gitea', url: forge.url, org: 'coop-cloud', repos };
    });
  const doctor = (config: string, token?: string) =>
    execa(process.execPath, [cli, 'doctor', '--config', config], {
      reject: false,
      env: token ? { CCCI_FORGE_TOKEN: token } : {},
    });

  it("the bot's token, login, org and repositories are green", async () => {
    const r = await doctor(forgeConfig(['coop-cloud/custom-html']), forge.seeded!.tokens['cc-ci-bot']);
    const out = String(r.stdout);
    expect(line(out, 'forge token')).toMatch(/^ok /);
    expect(line(out, 'forge login')).toMatch(/cc-ci-bot/);
    expect(line(out, 'forge org')).toMatch(/^ok +forge org +cc-ci-bot is a member of coop-cloud/);
    expect(line(out, 'forge repos')).toMatch(/^ok +forge repos +1 repository: readable, and the bot has write access/);
    expect(out).not.toContain(forge.seeded!.tokens['cc-ci-bot']);
    expect(r.exitCode, out).toBe(0);
  });

  it("a stranger's token: not a member, no write access, an unknown repository; each named", async () => {
    const r = await doctor(
      forgeConfig(['coop-cloud/custom-html', 'coop-cloud/no-such-recipe']),
      forge.seeded!.tokens.outsider,
    );
    const out = String(r.stdout);
    expect(r.exitCode, out).toBe(1);
    expect(line(out, 'forge org')).toMatch(/^FAIL +forge org +outsider is not a member of coop-cloud/);
    expect(out).toMatch(/- coop-cloud\/custom-html: readable, but the bot may not push to it/);
    expect(out).toMatch(/- coop-cloud\/no-such-recipe: .*404/);
  });

  it('no token: the token check fails and the rest of the forge is skipped', async () => {
    const r = await doctor(forgeConfig(['coop-cloud/custom-html']));
    const out = String(r.stdout);
    expect(r.exitCode).toBe(1);
    expect(line(out, 'forge token')).toMatch(/^FAIL /);
    for (const name of ['forge login', 'forge org', 'forge repos']) expect(line(out, name), name).toMatch(/^skip /);
  });
});

describe('cc-ci serve checks abra at start-up', () => {
  it('refuses to start (exit 3) with an abra that lacks a flag cc-ci passes, naming it', async () => {
    const cfg = await serveConfig();
    edited(cfg.file, (doc) => {
      doc.swarm.abra = withoutNoConverge;
    });
    const r = await execa(process.execPath, [cli, 'serve', '--config', cfg.file], {
      reject: false,
      timeout: 60_000,
      env: { CCCI_ADMIN_TOKEN: 'x'.repeat(32) },
    });
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).toBe(3);
    expect(String(r.stderr)).toMatch(/abra app deploy has no --no-converge-checks/);
    expect(String(r.stderr)).toMatch(/cc-ci doctor/);
    // it never served
    await expect(fetch(`http://127.0.0.1:${cfg.port}/healthz`)).rejects.toThrow();
  });
});
