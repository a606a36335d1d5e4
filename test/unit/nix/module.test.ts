// nix/module.nix evaluated with nix-instantiate against the stubs beside this file: the settings
// render to a cc-ci.yml that cc-ci's own loader accepts (secrets through the credentials the units
// hand over), and the units and timers carry what a CI host needs (docs/nixos.md).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/config/duration.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { AGE_IDENTITY_CREDENTIAL, secretSpecs } from '../../../src/config/secret-sources.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { evalModule, type ModuleResult, type Unit } from './nix.js';

const cli = '/nix/store/00000000000000000000000000000000-cc-ci/bin/cc-ci';
const abra = { name: 'abra', outPath: '/nix/store/11111111111111111111111111111111-abra' };
const settings = {
  forge: { type: 'gitea', url: 'https://git.example.org', org: 'coop-cloud', repos: ['coop-cloud/custom-html'] },
  swarm: { server: 'ci.example.org', domain: 'ci.example.org' },
  runner: { teardownBudget: '15m' },
  dashboard: { publicUrl: 'https://ci.example.org' },
};
const serveSecrets = {
  forgeTokenFile: '/run/secrets/forge_token',
  webhookSecretFile: '/run/secrets/webhook_secret',
  adminTokenFile: '/run/secrets/admin_token',
  alertWebhookSecretFile: '/run/secrets/alert_webhook_secret',
  alertOperatorSecretFile: '/run/secrets/alert_operator_secret',
  droneTokenFile: '/run/secrets/drone_token',
  ingestSecretFile: '/run/secrets/ingest_secret',
  ageIdentityFile: '/run/secrets/age_identity',
};

function ccci(options: Record<string, unknown>) {
  return { services: { 'cc-ci': { enable: true, abraPackage: abra, settings, ...options } } };
}

async function evaluated(options: Record<string, unknown> = {}): Promise<ModuleResult> {
  const r = await evalModule(ccci(options));
  if (!r.ok) throw new Error(`nix-instantiate failed: ${r.stderr}`);
  return r.value;
}

function unit(result: ModuleResult, name: string): Unit {
  const u = result.services[name];
  if (!u) throw new Error(`no unit ${name}; the module sets ${Object.keys(result.services).join(', ')}`);
  return u;
}

/** `LoadCredential=` lines as name → file. */
function credentials(u: Unit): Record<string, string> {
  const lines = (u.serviceConfig.LoadCredential ?? []) as string[];
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]));
}

function seconds(value: unknown): number {
  const ms = parseDuration(String(value));
  if (ms === undefined) throw new Error(`not a duration: ${String(value)}`);
  return ms / 1000;
}

describe('services.cc-ci: cc-ci.yml', () => {
  it("renders settings that cc-ci's loader accepts, secrets read from the unit's credentials", async () => {
    const r = await evaluated({ secrets: serveSecrets });
    expect(r.failedAssertions).toEqual([]);
    // What the module fills in, around the operator's settings.
    expect(r.settings).toMatchObject({
      ...settings,
      store: '/var/lib/cc-ci',
      swarm: { ...settings.swarm, abra: `${abra.outPath}/bin/abra`, abraDir: '/var/lib/cc-ci/abra' },
    });
    expect(r.settings).not.toHaveProperty('host');
    expect(r.environment).toEqual({ CCCI_CONFIG: '/etc/cc-ci/cc-ci.yml' });

    // systemd hands the credentials over in a folder of its own; cc-ci reads them from there.
    const dir = mkdtempSync(join(tmpdir(), 'nixos-module-'));
    const credDir = join(dir, 'credentials');
    mkdirSync(credDir);
    const values: Record<string, string> = {};
    for (const name of Object.keys(credentials(unit(r, 'cc-ci')))) {
      values[name] = `${name}-value-0123456789abcdefghijklmnop`;
      writeFileSync(join(credDir, name), `${values[name]}\n`);
    }
    writeFileSync(join(dir, 'cc-ci.yml'), stringify(r.settings));
    const config = loadConfig({
      path: join(dir, 'cc-ci.yml'),
      env: { CREDENTIALS_DIRECTORY: credDir },
      secrets: new SecretRegistry(),
    });
    expect(config.store).toBe('/var/lib/cc-ci');
    expect(config.swarm.abra).toBe(`${abra.outPath}/bin/abra`);
    expect(config.swarm.abraDir).toBe('/var/lib/cc-ci/abra');
    expect(config.runner.teardownBudget).toBe(15 * 60_000);
    expect(config.secrets).toEqual({
      forgeToken: values.forge_token,
      webhookSecret: values.webhook_secret,
      adminToken: values.admin_token,
      droneToken: values.drone_token,
      ingestSecret: values.ingest_secret,
    });
  });

  it("hands each secret over under the credential name cc-ci's config loader reads", async () => {
    const r = await evaluated({ secrets: serveSecrets });
    const names = [...Object.values(secretSpecs).map((s) => s.credential), AGE_IDENTITY_CREDENTIAL];
    expect(credentials(unit(r, 'cc-ci'))).toEqual({
      forge_token: serveSecrets.forgeTokenFile,
      webhook_secret: serveSecrets.webhookSecretFile,
      admin_token: serveSecrets.adminTokenFile,
      alert_webhook_secret: serveSecrets.alertWebhookSecretFile,
      alert_operator_secret: serveSecrets.alertOperatorSecretFile,
      drone_token: serveSecrets.droneTokenFile,
      ingest_secret: serveSecrets.ingestSecretFile,
      age_identity: serveSecrets.ageIdentityFile,
    });
    expect(Object.keys(credentials(unit(r, 'cc-ci'))).sort()).toEqual(names.sort());
    // No secret value and no secret path in the config itself: they come as credentials.
    expect(JSON.stringify(r.settings)).not.toContain('/run/secrets');
  });

  it('the operator’s settings win over what the module fills in', async () => {
    const r = await evaluated({
      abraPackage: null,
      settings: { ...settings, store: '/srv/cc-ci', swarm: { ...settings.swarm, abra: '/opt/abra/bin/abra' } },
    });
    expect(r.failedAssertions).toEqual([]);
    expect(r.settings).toMatchObject({ store: '/srv/cc-ci', swarm: { abra: '/opt/abra/bin/abra' } });
  });

  it('the certificate key and restic password reach only the host unit, named in host.*', async () => {
    const r = await evaluated({
      settings: { ...settings, host: { certFile: '/etc/cc-ci/wildcard.crt', backup: { repository: '/srv/restic' } } },
      secrets: { certificateKeyFile: '/run/secrets/ssl_key', resticPasswordFile: '/run/secrets/restic_password' },
    });
    expect(r.settings?.host).toEqual({
      certFile: '/etc/cc-ci/wildcard.crt',
      keyFile: '/run/credentials/cc-ci-host.service/ssl_key',
      backup: { repository: '/srv/restic', passwordFile: '/run/credentials/cc-ci-host.service/restic_password' },
    });
    expect(credentials(unit(r, 'cc-ci-host'))).toEqual({
      ssl_key: '/run/secrets/ssl_key',
      restic_password: '/run/secrets/restic_password',
    });
    expect(credentials(unit(r, 'cc-ci'))).toEqual({});
    // The drift check is a unit of its own, so its config names its own credentials.
    expect(credentials(unit(r, 'cc-ci-host-check'))).toEqual(credentials(unit(r, 'cc-ci-host')));
    expect(r.checkSettings?.host).toMatchObject({
      keyFile: '/run/credentials/cc-ci-host-check.service/ssl_key',
      backup: { passwordFile: '/run/credentials/cc-ci-host-check.service/restic_password' },
    });
    expect({ ...r.checkSettings, host: undefined }).toEqual({ ...r.settings, host: undefined });
  });
});

describe('services.cc-ci: units and timers', () => {
  it('cc-ci.service: serve, KillMode=mixed, a stop timeout above drain + teardown, restarts', async () => {
    const r = await evaluated();
    const serve = unit(r, 'cc-ci');
    const sc = serve.serviceConfig;
    expect(sc.ExecStart).toBe(`${cli} serve --config ${r.configFile} ` + '--drain --drain-timeout 30m');
    expect(sc.KillMode).toBe('mixed');
    expect(sc.ExecReload).toMatch(/\/bin\/kill -HUP \$MAINPID$/);
    expect(sc.Restart).toBe('on-failure');
    expect(seconds(sc.TimeoutStopSec)).toBeGreaterThan(30 * 60 + 15 * 60);
    expect(sc.User).toBe('root');
    expect(sc.StateDirectory).toBe('cc-ci');
    expect(serve.wantedBy).toEqual(['multi-user.target']);
    expect(serve.after).toEqual(expect.arrayContaining(['docker.service', 'cc-ci-host.service']));
    // abra on PATH (systemd's path= puts <package>/bin there), and the docker CLI.
    expect(serve.path).toEqual(
      expect.arrayContaining([abra.outPath, '/nix/store/00000000000000000000000000000000-docker']),
    );
    expect(serve.environment?.HOME).toBe('/root');
  });

  it('without a drain, stops at once and still waits for the teardown budget', async () => {
    const sc = unit(await evaluated({ drainTimeout: null }), 'cc-ci').serviceConfig;
    expect(sc.ExecStart).not.toContain('--drain');
    expect(seconds(sc.TimeoutStopSec)).toBeGreaterThan(15 * 60);
    expect(seconds(sc.TimeoutStopSec)).toBeLessThan(30 * 60);
  });

  it('the default teardown budget (10m) counts when the settings leave it out', async () => {
    const sc = unit(
      await evaluated({ drainTimeout: null, settings: { swarm: settings.swarm } }),
      'cc-ci',
    ).serviceConfig;
    expect(seconds(sc.TimeoutStopSec)).toBeGreaterThan(10 * 60);
    expect(seconds(sc.TimeoutStopSec)).toBeLessThan(15 * 60);
  });

  it('a duration cc-ci would not read is an evaluation error that names the setting', async () => {
    const r = await evalModule(ccci({ settings: { ...settings, runner: { teardownBudget: 'ten minutes' } } }));
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('settings.runner.teardownBudget is "ten minutes"');
  });

  it('the janitor runs hourly and the store is pruned daily, each with its own timer', async () => {
    const r = await evaluated();
    for (const [name, command, schedule] of [
      ['cc-ci-janitor', 'janitor', 'hourly'],
      ['cc-ci-prune', 'store prune', 'daily'],
    ] as const) {
      const u = unit(r, name);
      expect(u.serviceConfig.Type).toBe('oneshot');
      expect(u.serviceConfig.ExecStart).toBe(`${cli} ${command} --config ${r.configFile}`);
      expect(u.path).toContain(abra.outPath);
      expect(u.serviceConfig).toMatchObject({ User: 'root', StateDirectory: 'cc-ci' });
      expect(r.timers[name]?.wantedBy).toEqual(['timers.target']);
      expect(r.timers[name]?.timerConfig).toMatchObject({ OnCalendar: schedule, Persistent: true });
    }
  });

  it('cc-ci-host.service: host reconcile --profile nixos, once, as root, after docker and before serve', async () => {
    const r = await evaluated();
    const host = unit(r, 'cc-ci-host');
    expect(host.serviceConfig).toMatchObject({
      Type: 'oneshot',
      RemainAfterExit: true,
      ExecStart: `${cli} host reconcile --profile nixos --config ${r.configFile}`,
    });
    expect(host.serviceConfig).not.toHaveProperty('User');
    expect(host.requires).toEqual(['docker.service']);
    expect(host.before).toEqual(['cc-ci.service']);
    expect(host.wantedBy).toEqual(['multi-user.target']);
    expect(host.path).toContain(abra.outPath);
  });

  it('cc-ci-host-check.service: host reconcile --check, started by hand, with a config of its own', async () => {
    const r = await evaluated();
    const check = unit(r, 'cc-ci-host-check');
    expect(check.serviceConfig.ExecStart).toBe(
      `${cli} host reconcile --profile nixos --check --config ${r.checkConfigFile}`,
    );
    expect(r.checkConfigFile).not.toBe(r.configFile);
    expect(check.serviceConfig.Type).toBe('oneshot');
    expect(check.serviceConfig).not.toHaveProperty('RemainAfterExit');
    expect(check.wantedBy).toBeUndefined();
    expect(check.requires).toEqual(['docker.service']);
  });

  it('reconcileHost = false leaves the host units out', async () => {
    const r = await evaluated({ reconcileHost: false });
    expect(r.services).not.toHaveProperty('cc-ci-host');
    expect(r.services).not.toHaveProperty('cc-ci-host-check');
    expect(unit(r, 'cc-ci').wants).not.toContain('cc-ci-host.service');
  });

  it('turns Docker on, without live-restore (dockerd refuses swarm mode with it)', async () => {
    expect((await evaluated()).docker).toEqual({ enable: true, liveRestore: false });
  });

  it('cc-ci-doctor.service checks the host with the credentials of the server, started by hand', async () => {
    const r = await evaluated({ secrets: { forgeTokenFile: '/run/secrets/forge_token' } });
    const doctor = unit(r, 'cc-ci-doctor');
    expect(doctor.serviceConfig.ExecStart).toContain('cc-ci doctor --config');
    expect(doctor.wantedBy).toBeUndefined();
    expect(credentials(doctor)).toEqual({ forge_token: '/run/secrets/forge_token' });
  });

  it('another user is created in the docker group, with a warning about recipe tests', async () => {
    const r = await evaluated({ user: 'ccci', group: 'ccci' });
    expect(r.users?.users.ccci).toMatchObject({ isSystemUser: true, group: 'ccci', extraGroups: ['docker'] });
    expect(r.users?.groups).toHaveProperty('ccci');
    expect(unit(r, 'cc-ci').serviceConfig).toMatchObject({ User: 'ccci', Group: 'ccci' });
    expect(r.warnings.join('\n')).toContain('TESTS_NOT_RUN');
    expect((await evaluated()).users).toEqual({ users: {}, groups: {} });
  });

  it('sets nothing when not enabled', async () => {
    const r = await evalModule({ services: { 'cc-ci': {} } });
    expect(r.value).toMatchObject({ enabled: false, services: {}, timers: {}, settings: null });
  });
});

describe('services.cc-ci: assertions', () => {
  it('abra must be given: abra is not in nixpkgs', async () => {
    const r = await evaluated({ abraPackage: null });
    expect(r.failedAssertions).toEqual([expect.stringContaining('set abraPackage (abra is not in nixpkgs')]);
  });

  it('swarm.server and swarm.domain are required', async () => {
    const r = await evaluated({ settings: { runner: settings.runner } });
    expect(r.failedAssertions).toEqual([expect.stringContaining('settings.swarm needs server and domain')]);
  });

  it('a secret given both as an option and as a settings key is refused (the credential would go unread)', async () => {
    const r = await evaluated({
      settings: { ...settings, forge: { ...settings.forge, tokenFile: '/etc/cc-ci/token' } },
      secrets: { forgeTokenFile: '/run/secrets/forge_token' },
    });
    expect(r.failedAssertions).toEqual([
      expect.stringContaining('both secrets.forgeTokenFile and settings.forge.tokenFile are set'),
    ]);
  });

  it('the drain limit must be one duration word (it goes on the command line)', async () => {
    const r = await evaluated({ drainTimeout: '30 m' });
    expect(r.failedAssertions).toEqual([
      'services.cc-ci.drainTimeout is "30 m"; expected a duration like "30m" or "2h"',
    ]);
    expect((await evaluated({ drainTimeout: '1.5h' })).failedAssertions).toEqual([]);
  });

  it('a secret path must be absolute', async () => {
    const r = await evaluated({ secrets: { adminTokenFile: 'admin_token' } });
    expect(r.failedAssertions).toEqual(['services.cc-ci.secrets.adminTokenFile must be an absolute path']);
  });

  it('an unknown option or a value of the wrong type is an error, as in NixOS', async () => {
    const unknown = await evalModule(ccci({ secret: {} }));
    expect(unknown.stderr).toContain("The option `services.cc-ci.secret' does not exist.");
    const wrong = await evalModule(ccci({ drainTimeout: 30 }));
    expect(wrong.stderr).toContain("The option `services.cc-ci.drainTimeout' is not of type `null or str'.");
  });
});
