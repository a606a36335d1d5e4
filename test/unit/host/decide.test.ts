// The pure rules of `cc-ci host reconcile` (src/host/decide.ts): each step's decision from what
// it observed. Refusals (another swarm, a network of the wrong kind, an old abra) change nothing.
import { describe, expect, it } from 'vitest';
import {
  decideAbra,
  decideAbraApp,
  decideEngine,
  decideNetwork,
  decideStore,
  decideSwarm,
  decideUnits,
  nextVersion,
  withOverlay,
  type AbraAppFacts,
  type AbraAppWanted,
} from '../../../src/host/decide.js';

const want = { advertiseAddr: '127.0.0.1', listenAddr: '127.0.0.1:2377', addressPool: '10.201.0.0/16' };
const single = {
  state: 'active',
  manager: true,
  nodes: 1,
  managers: 1,
  nodeAddr: '127.0.0.1',
  addressPools: ['10.201.0.0/16'],
  error: '',
};

describe('decideEngine', () => {
  it('is ok when the Engine answers, whatever else', () => {
    expect(decideEngine({ answers: true, installed: false, systemd: false }, 'debian').kind).toBe('ok');
  });
  it("installs Debian's docker.io on Debian when dockerd is missing, and starts it under systemd", () => {
    const d = decideEngine({ answers: false, installed: false, systemd: true }, 'debian');
    expect(d).toMatchObject({ kind: 'act', actions: ['apt-install-docker.io', 'start-docker', 'wait-for-engine'] });
    const noInit = decideEngine({ answers: false, installed: false, systemd: false }, 'debian');
    expect(noInit).toMatchObject({ kind: 'act', actions: ['apt-install-docker.io', 'wait-for-engine'] });
  });
  it('never installs on NixOS or the testbed: it says how to get Docker there', () => {
    expect(decideEngine({ answers: false, installed: false, systemd: true }, 'nixos')).toMatchObject({
      kind: 'refuse',
      fix: expect.stringContaining('virtualisation.docker.enable'),
    });
    expect(decideEngine({ answers: false, installed: true, systemd: false }, 'testbed')).toMatchObject({
      kind: 'refuse',
      fix: expect.stringContaining('testbed/up'),
    });
  });
  it('starts an installed but silent docker.service under systemd on Debian', () => {
    const d = decideEngine({ answers: false, error: 'ENOENT', installed: true, systemd: true }, 'debian');
    expect(d).toMatchObject({ kind: 'act', actions: ['start-docker', 'wait-for-engine'] });
  });
});

describe('decideSwarm', () => {
  it('initialises a swarm with the configured address, listen address and pool when the node is in none', () => {
    const d = decideSwarm({ ...single, state: 'inactive', manager: false, nodes: 0 }, want);
    expect(d).toMatchObject({ kind: 'act', actions: ['swarm-init'] });
    expect(d.detail).toContain(
      '--advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 --default-addr-pool 10.201.0.0/16',
    );
  });
  it('is ok for a single-node swarm this node manages', () => {
    expect(decideSwarm(single, want)).toMatchObject({ kind: 'ok' });
  });
  it('refuses a worker of another swarm: never leaves or joins', () => {
    const d = decideSwarm({ ...single, manager: false, nodes: 0 }, want);
    expect(d).toMatchObject({ kind: 'refuse', detail: expect.stringContaining('worker') });
    if (d.kind === 'refuse') expect(d.fix).toContain('never leaves or joins');
  });
  it('refuses a manager of a swarm with other nodes', () => {
    const d = decideSwarm({ ...single, nodes: 3, managers: 2 }, want);
    expect(d).toMatchObject({ kind: 'refuse', detail: expect.stringContaining('3 nodes') });
  });
  it('refuses a locked or pending node with what to do', () => {
    expect(decideSwarm({ ...single, state: 'locked' }, want)).toMatchObject({
      kind: 'refuse',
      fix: expect.stringContaining('docker swarm unlock'),
    });
    expect(decideSwarm({ ...single, state: 'pending' }, want).kind).toBe('refuse');
  });
  it('notes a pool that differs but leaves the swarm alone (the pool applies only at init)', () => {
    const d = decideSwarm({ ...single, addressPools: ['172.30.0.0/16'] }, want);
    expect(d).toMatchObject({ kind: 'ok', detail: expect.stringContaining('differs from host.swarm.addressPool') });
  });
});

describe('decideNetwork', () => {
  it('creates a missing network', () => {
    expect(decideNetwork('proxy', undefined)).toMatchObject({ kind: 'act', actions: ['create-network'] });
  });
  it('is ok for an attachable swarm overlay', () => {
    expect(decideNetwork('proxy', { driver: 'overlay', attachable: true, scope: 'swarm' }).kind).toBe('ok');
  });
  it('refuses a network of the wrong kind and never removes it', () => {
    const d = decideNetwork('proxy', { driver: 'bridge', attachable: false, scope: 'local' });
    expect(d).toMatchObject({ kind: 'refuse', fix: expect.stringContaining('docker network rm proxy') });
  });
});

describe('decideAbra', () => {
  const wanted = {
    binary: 'abra',
    server: 'ci.example.org',
    serverDir: '/var/lib/cc-ci/abra/servers/ci.example.org',
    minVersion: '0.13.0',
    installHint: 'install abra yourself',
    standIn: false,
  };
  const found = {
    resolved: '/usr/local/bin/abra',
    versionExit: 0,
    versionText: 'abra version 0.13.0-beta-06a57de',
    versionOk: true,
    serverDirExists: true,
  };
  it('is ok for a recent abra that knows the server', () => {
    expect(decideAbra(found, wanted)).toMatchObject({ kind: 'ok' });
  });
  it('never downloads abra: a missing one is refused with how to install it', () => {
    expect(decideAbra({ ...found, resolved: undefined }, wanted)).toMatchObject({
      kind: 'refuse',
      fix: 'install abra yourself',
    });
  });
  it('refuses an abra older than the contract, but not the testbed stand-in', () => {
    const old = { ...found, versionText: 'abra version 0.9.0', versionOk: false };
    expect(decideAbra(old, wanted)).toMatchObject({ kind: 'refuse', detail: expect.stringContaining('older than') });
    expect(decideAbra(old, { ...wanted, standIn: true }).kind).toBe('ok');
  });
  it('makes the server entry when it is missing', () => {
    expect(decideAbra({ ...found, serverDirExists: false }, wanted)).toMatchObject({
      kind: 'act',
      actions: ['make-server-dir'],
    });
  });
});

describe('decideAbraApp (traefik)', () => {
  const app: AbraAppWanted = {
    app: 'traefik',
    recipe: 'traefik',
    domain: 'traefik.ci.example.org',
    stack: 'traefik_ci_example_org',
    env: { LETS_ENCRYPT_ENV: '', WILDCARDS_ENABLED: '1', COMPOSE_FILE: 'compose.yml:compose.wildcard.yml' },
    secrets: [
      {
        name: 'ssl_cert',
        versionKey: 'SECRET_WILDCARD_CERT_VERSION',
        file: '/c.pem',
        fingerprint: 'aaa',
        rotate: true,
      },
      { name: 'ssl_key', versionKey: 'SECRET_WILDCARD_KEY_VERSION', file: '/k.pem', fingerprint: 'aaa', rotate: true },
    ],
  };
  const running: AbraAppFacts = {
    recipePresent: true,
    envExists: true,
    env: {
      ...app.env,
      SECRET_WILDCARD_CERT_VERSION: 'v1',
      SECRET_WILDCARD_KEY_VERSION: 'v1',
    },
    swarmSecrets: ['traefik_ci_example_org_ssl_cert_v1', 'traefik_ci_example_org_ssl_key_v1'],
    recorded: { ssl_cert: { fingerprint: 'aaa', version: 'v1' }, ssl_key: { fingerprint: 'aaa', version: 'v1' } },
    services: [{ name: 'traefik_ci_example_org_app', running: 1, desired: 1 }],
  };
  const kinds = (d: ReturnType<typeof decideAbraApp>) => (d.kind === 'act' ? d.actions.map((a) => a.do) : []);

  it('is ok when deployed, converged, with the recorded certificate and the wildcard .env', () => {
    expect(decideAbraApp(running, app)).toMatchObject({ kind: 'ok' });
  });
  it('from nothing: fetch the recipe, app new, the .env, both secrets as v1, deploy and wait', () => {
    const d = decideAbraApp(
      { recipePresent: false, envExists: false, env: {}, swarmSecrets: [], recorded: {}, services: [] },
      app,
    );
    expect(kinds(d)).toEqual([
      'fetch-recipe',
      'app-new',
      'set-env',
      'insert-secret',
      'insert-secret',
      'deploy',
      'wait',
    ]);
    if (d.kind === 'act') {
      expect(d.actions[2]).toMatchObject({
        values: { LETS_ENCRYPT_ENV: '', WILDCARDS_ENABLED: '1', SECRET_WILDCARD_CERT_VERSION: 'v1' },
      });
      expect(d.actions[3]).toMatchObject({ name: 'ssl_cert', version: 'v1', file: '/c.pem' });
    }
  });
  it('rotates a changed certificate: a new version of both secrets in the .env, inserted, redeployed', () => {
    const changed = { ...app, secrets: app.secrets.map((s) => ({ ...s, fingerprint: 'bbb' })) };
    const d = decideAbraApp(running, changed);
    expect(kinds(d)).toEqual(['set-env', 'insert-secret', 'insert-secret', 'deploy', 'wait']);
    expect(d.detail).toContain('/c.pem changed: ssl_cert v1 → v2');
    if (d.kind === 'act')
      expect(d.actions[0]).toMatchObject({
        values: { SECRET_WILDCARD_CERT_VERSION: 'v2', SECRET_WILDCARD_KEY_VERSION: 'v2' },
      });
  });
  it('asks for an ACME-free .env: a LETS_ENCRYPT_ENV left at production is set empty and redeployed', () => {
    const d = decideAbraApp({ ...running, env: { ...running.env, LETS_ENCRYPT_ENV: 'production' } }, app);
    expect(kinds(d)).toEqual(['set-env', 'deploy', 'wait']);
    expect(d.detail).toContain('LETS_ENCRYPT_ENV=');
  });
  it('redeploys a missing stack and waits for a stack that has not converged', () => {
    expect(kinds(decideAbraApp({ ...running, services: [] }, app))).toEqual(['deploy', 'wait']);
    const stuck = decideAbraApp({ ...running, services: [{ name: 'x_app', running: 0, desired: 1 }] }, app);
    expect(kinds(stuck)).toEqual(['wait']);
    expect(stuck.detail).toContain('not converged');
  });
  it('refuses when the certificate cannot be read', () => {
    const unreadable = { ...app, secrets: app.secrets.map((s) => ({ ...s, fingerprint: undefined })) };
    expect(decideAbraApp(running, unreadable)).toMatchObject({ kind: 'refuse' });
  });
  it('refuses a changed file whose secret is not to be rotated', () => {
    const bot: AbraAppWanted = {
      app: 'backup-bot-two',
      recipe: 'backup-bot-two',
      domain: 'backups.ci.example.org',
      stack: 'backups_ci_example_org',
      env: { RESTIC_REPOSITORY: '/backups/restic' },
      secrets: [
        {
          name: 'restic_password',
          versionKey: 'SECRET_RESTIC_PASSWORD_VERSION',
          file: '/p',
          fingerprint: 'new',
          rotate: false,
        },
      ],
    };
    const facts: AbraAppFacts = {
      ...running,
      env: { RESTIC_REPOSITORY: '/backups/restic', SECRET_RESTIC_PASSWORD_VERSION: 'v1' },
      swarmSecrets: ['backups_ci_example_org_restic_password_v1'],
      recorded: { restic_password: { fingerprint: 'old', version: 'v1' } },
    };
    expect(decideAbraApp(facts, bot)).toMatchObject({ kind: 'refuse' });
  });
});

describe('secret versions and COMPOSE_FILE', () => {
  it('takes the version after every one seen', () => {
    expect(nextVersion('v1')).toBe('v2');
    expect(nextVersion('v3', 'v1')).toBe('v4');
    expect(nextVersion(undefined)).toBe('v1');
  });
  it('appends the overlay once', () => {
    expect(withOverlay(undefined, 'compose.wildcard.yml')).toBe('compose.yml:compose.wildcard.yml');
    expect(withOverlay('compose.yml:compose.wildcard.yml', 'compose.wildcard.yml')).toBe(
      'compose.yml:compose.wildcard.yml',
    );
  });
});

describe('decideStore', () => {
  it('makes a missing store with mode 750, owned by root without host.user', () => {
    const d = decideStore({ exists: false, mode: 0, uid: -1, gid: -1 }, { dir: '/s', mode: 0o750 });
    expect(d).toMatchObject({ kind: 'act', actions: ['mkdir'] });
  });
  it('adds the configured system user, then chowns the store to it', () => {
    const d = decideStore(
      { exists: true, mode: 0o40750, uid: 0, gid: 0, user: { exists: false, groups: [] } },
      { dir: '/s', mode: 0o750, user: 'cc-ci' },
    );
    expect(d).toMatchObject({ kind: 'act', actions: ['useradd', 'chown'] });
  });
  it('is ok when mode and owner are right', () => {
    const d = decideStore(
      {
        exists: true,
        mode: 0o40750,
        uid: 998,
        gid: 998,
        user: { exists: true, uid: 998, gid: 998, groups: ['cc-ci', 'docker'] },
      },
      { dir: '/s', mode: 0o750, user: 'cc-ci' },
    );
    expect(d.kind).toBe('ok');
  });
  it('fixes the mode of a store that is too open', () => {
    expect(decideStore({ exists: true, mode: 0o40755, uid: 0, gid: 0 }, { dir: '/s', mode: 0o750 })).toMatchObject({
      kind: 'act',
      actions: ['chmod'],
    });
  });
});

describe('decideUnits', () => {
  const units = [
    { name: 'cc-ci.service', text: 'a' },
    { name: 'cc-ci-janitor.timer', text: 'b' },
  ];
  const wanted = {
    dir: '/etc/systemd/system',
    units,
    enable: ['cc-ci.service', 'cc-ci-janitor.timer'],
    profile: 'debian' as const,
  };
  it('writes missing or different units and, with systemd, reloads and enables them', () => {
    const d = decideUnits({ files: { 'cc-ci.service': 'old' }, systemd: true, enabled: {} }, wanted);
    expect(d.kind === 'act' && d.actions).toEqual([
      { do: 'write', name: 'cc-ci.service' },
      { do: 'write', name: 'cc-ci-janitor.timer' },
      { do: 'daemon-reload' },
      { do: 'enable', name: 'cc-ci.service' },
      { do: 'enable', name: 'cc-ci-janitor.timer' },
    ]);
  });
  it('without systemd writes them and says they were not enabled', () => {
    const d = decideUnits({ files: {}, systemd: false, enabled: {} }, wanted);
    expect(d.kind === 'act' && d.actions.map((a) => a.do)).toEqual(['write', 'write']);
    expect(d.detail).toContain('not enabled');
  });
  it('is ok when every file is the same and every unit enabled', () => {
    const files = { 'cc-ci.service': 'a', 'cc-ci-janitor.timer': 'b' };
    const enabled = { 'cc-ci.service': true, 'cc-ci-janitor.timer': true };
    expect(decideUnits({ files, systemd: true, enabled }, wanted).kind).toBe('ok');
  });
  it('leaves the units to the NixOS module on NixOS', () => {
    expect(decideUnits({ files: {}, systemd: true, enabled: {} }, { ...wanted, profile: 'nixos' })).toMatchObject({
      kind: 'ok',
      detail: expect.stringContaining('NixOS module'),
    });
  });
});
