// The doctor's host checks, each with a fake or a throwaway local stand-in: Docker and the swarm
// (a fake probe, and the real probe on a dead and on a silent socket), the store, abra's server
// folder, the ingress, the forge's rights, and which checks a config gets.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { runChecks, type Outcome } from '../../../src/doctor/check.js';
import { doctorChecks } from '../../../src/doctor/doctor.js';
import {
  checkBackupBot,
  checkBackupRepo,
  checkEngine,
  checkProxyNetwork,
  checkSwarm,
} from '../../../src/doctor/docker-checks.js';
import { checkForgeOrg, checkForgeRepos } from '../../../src/doctor/forge-checks.js';
import { checkAbraServer, checkIngress, checkStore } from '../../../src/doctor/host-checks.js';
import type { ForgeClient, Repository, User } from '../../../src/forge/types.js';
import type { BackupRepo } from '../../../src/backupbot/backup-repo.js';
import {
  createDockerProbe,
  type DockerProbe,
  type EngineInfo,
  type ServiceInfo,
} from '../../../src/docker/host-probe.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'doctor-'));

/** The uid and gid of `nobody` on Debian. */
const NOBODY = 65534;
const hostChecks = fileURLToPath(new URL('../../../src/doctor/host-checks.ts', import.meta.url));

/**
 * checkStore as a user without root's right to write anywhere. CI runs as root, so there the check
 * runs in a child that loads the module as root, then drops to nobody before checking.
 */
async function checkStoreUnprivileged(dir: string): Promise<Outcome & { uid: number }> {
  if (process.getuid?.() !== 0) return { ...(await checkStore(dir)), uid: process.getuid?.() ?? -1 };
  const script = [
    `const { checkStore } = await import(${JSON.stringify(hostChecks)});`,
    `process.setgroups([]); process.setgid(${NOBODY}); process.setuid(${NOBODY});`,
    `const outcome = await checkStore(${JSON.stringify(dir)});`,
    'process.stdout.write(JSON.stringify({ ...outcome, uid: process.getuid() }));',
  ].join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '--eval',
    script,
  ]);
  const result = JSON.parse(stdout) as Outcome & { uid: number };
  expect(result.uid).toBe(NOBODY);
  return result;
}

const engine = (swarm: Partial<EngineInfo['swarm']> = {}): EngineInfo => ({
  version: '26.1.5',
  apiVersion: '1.45',
  rootDir: '/var/lib/docker',
  swarm: { state: 'active', controlAvailable: true, nodeId: 'zs7dpclagbhoabcdef', error: '', ...swarm },
});

function fakeDocker(
  o: {
    engine?: EngineInfo | Error;
    network?: ReturnType<DockerProbe['network']> extends Promise<infer T> ? T : never;
    services?: ServiceInfo[];
  } = {},
): DockerProbe {
  return {
    engine: async () => {
      if (o.engine instanceof Error) throw o.engine;
      return o.engine ?? engine();
    },
    network: async () => o.network,
    services: async () => o.services ?? [],
  };
}

const service = (
  name: string,
  labels: Record<string, string> = {},
  running = 1,
  image = 'local/debian:bookworm',
): ServiceInfo => ({ name, image, labels, running, desired: 1 });

describe('docker checks', () => {
  it('the engine: its version, or where it could not be reached and what to do', async () => {
    expect(await checkEngine(fakeDocker(), 'unix:///var/run/docker.sock')).toMatchObject({
      ok: true,
      detail: 'Docker 26.1.5 (API 1.45) at unix:///var/run/docker.sock',
    });
    const down = await checkEngine(
      fakeDocker({ engine: new Error('Docker Engine at unix:///x.sock: connect ENOENT /x.sock') }),
      'unix:///x.sock',
    );
    expect(down).toMatchObject({
      ok: false,
      detail: 'no Docker engine answers at unix:///x.sock: connect ENOENT /x.sock',
    });
    expect(down.fix).toMatch(/swarm\.dockerHost/);
  });

  it('the swarm: active and a manager', async () => {
    expect(await checkSwarm(fakeDocker())).toMatchObject({ ok: true, detail: 'active manager (node zs7dpclagbho)' });
    expect(await checkSwarm(fakeDocker({ engine: engine({ state: 'inactive' }) }))).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/docker swarm init/),
    });
    expect(await checkSwarm(fakeDocker({ engine: engine({ controlAvailable: false }) }))).toMatchObject({
      ok: false,
      detail: 'this node is in a swarm but is not a manager',
    });
  });

  it('the proxy network: an attachable swarm overlay', async () => {
    expect(
      (await checkProxyNetwork(fakeDocker({ network: { driver: 'overlay', attachable: true, scope: 'swarm' } }))).ok,
    ).toBe(true);
    expect(await checkProxyNetwork(fakeDocker())).toMatchObject({
      ok: false,
      detail: 'no network "proxy"',
      fix: expect.stringMatching(/docker network create -d overlay --attachable proxy/),
    });
    expect(
      await checkProxyNetwork(fakeDocker({ network: { driver: 'overlay', attachable: false, scope: 'swarm' } })),
    ).toMatchObject({
      ok: false,
      detail: '"proxy" is a non-attachable overlay network of scope swarm, not an attachable swarm overlay',
    });
    expect(
      (await checkProxyNetwork(fakeDocker({ network: { driver: 'bridge', attachable: true, scope: 'local' } }))).ok,
    ).toBe(false);
  });

  it('backup-bot-two: a running service with the label abra looks for', async () => {
    const label = { 'coop-cloud.backupbot.enabled': 'true' };
    expect(
      await checkBackupBot(fakeDocker({ services: [service('web_app'), service('backups_app', label)] })),
    ).toMatchObject({ ok: true, detail: 'backups_app (label coop-cloud.backupbot.enabled=true), 1/1 running' });
    expect(await checkBackupBot(fakeDocker({ services: [service('backups_app', label, 0)] }))).toMatchObject({
      ok: false,
      detail: 'backups_app (label coop-cloud.backupbot.enabled=true) has no running task',
    });
    expect(
      await checkBackupBot(
        fakeDocker({ services: [service('bb_app', {}, 1, 'git.coopcloud.tech/coop-cloud/backup-bot-two:2.4.0')] }),
      ),
    ).toMatchObject({ ok: false, detail: expect.stringMatching(/^bb_app looks like a backup bot but has no label/) });
    expect(await checkBackupBot(fakeDocker({ services: [service('web_app')] }))).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^no service labelled coop-cloud.backupbot.enabled=true/),
      fix: expect.stringMatching(/backup-bot-two/),
    });
  });

  it("backup repository: restic in the bot reads it, counting past test apps' snapshots", async () => {
    const isTest = (s: string) => /^[a-z]{1,4}-[0-9a-f]{6}_ci_test$/.test(s);
    const snap = (tags: string[]) => ({
      id: 'x'.repeat(64),
      shortId: 'xxxxxxxx',
      time: '2026-11-30T00:00:00Z',
      tags,
      paths: ['/var/lib/docker/volumes/v/_data'],
    });
    const repo = (list: ReturnType<typeof snap>[] | undefined | Error): BackupRepo => ({
      list: async () => {
        if (list instanceof Error) throw list;
        return list;
      },
      forget: async () => {},
    });
    expect(
      await checkBackupRepo(
        repo([snap(['shop_example_org']), snap(['cust-1a2b3c_ci_test']), snap(['cust-1a2b3c_ci_test'])]),
        isTest,
      ),
    ).toEqual({
      ok: true,
      detail: 'restic in the bot reads its repository: 3 snapshots, of 1 past test app (cc-ci janitor forgets those)',
    });
    expect(await checkBackupRepo(repo([]), isTest)).toEqual({
      ok: true,
      detail: 'restic in the bot reads its repository: 0 snapshots',
    });
    expect(
      await checkBackupRepo(
        repo(
          new Error(
            'restic snapshots in backups_app exited with 1: Fatal: Please specify repository location: ' +
              "the backup bot's container has no RESTIC_REPOSITORY in its environment",
          ),
        ),
        isTest,
      ),
    ).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/no RESTIC_REPOSITORY/),
      fix: expect.stringMatching(/RESTIC_REPOSITORY and RESTIC_PASSWORD_FILE/),
    });
    expect((await checkBackupRepo(repo(undefined), isTest)).ok).toBe(false);
  });
});

describe('the real Docker probe never hangs', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('a socket that is not there fails at once', async () => {
    const started = Date.now();
    const outcome = await checkEngine(createDockerProbe('unix:///nonexistent.sock', 2_000), 'unix:///nonexistent.sock');
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toMatch(/no Docker engine answers at unix:\/\/\/nonexistent\.sock: .*ENOENT/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a socket that accepts and never answers fails at the time limit', async () => {
    const sock = join(tmp(), 'silent.sock');
    const silent = createServer(() => undefined);
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(sock, r));
    const started = Date.now();
    const outcome = await checkEngine(createDockerProbe(`unix://${sock}`, 300), `unix://${sock}`);
    expect(outcome.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('an unsupported address is a config error', () => {
    expect(() => createDockerProbe('ssh://host')).toThrow(/swarm.dockerHost: unsupported/);
  });
});

describe('store and abra server', () => {
  it('a writable store passes and is left as it was', async () => {
    const dir = tmp();
    expect(await checkStore(dir)).toMatchObject({ ok: true, detail: `${dir} is writable` });
    expect((await import('node:fs')).readdirSync(dir)).toEqual([]);
  });

  it('a store that does not exist yet passes when it can be created', async () => {
    const dir = join(tmp(), 'a', 'b');
    expect(await checkStore(dir)).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/does not exist yet; cc-ci creates it/),
    });
  });

  it('a file is not a store', async () => {
    const file = join(tmp(), 'file');
    writeFileSync(file, '');
    expect(await checkStore(file)).toMatchObject({ ok: false, detail: `${file} is not a folder` });
  });

  it('a read-only store fails for its owner (as root, the check runs as nobody: root may write anyway)', async () => {
    const dir = tmp();
    if (process.getuid?.() === 0) chownSync(dir, NOBODY, NOBODY);
    // The same user passes while the folder is writable, so the failure below is the mode's.
    expect(await checkStoreUnprivileged(dir)).toMatchObject({ ok: true, detail: `${dir} is writable` });
    chmodSync(dir, 0o500);
    expect(await checkStoreUnprivileged(dir)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^cannot write in .*EACCES/),
      fix: expect.stringMatching(/writable for the user cc-ci runs as/),
    });
  });

  it("abra's server folder", async () => {
    const abraDir = tmp();
    expect(await checkAbraServer(abraDir, 'ci.example.org')).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/abra server add ci\.example\.org/),
    });
    mkdirSync(join(abraDir, 'servers', 'ci.example.org'), { recursive: true });
    expect((await checkAbraServer(abraDir, 'ci.example.org')).ok).toBe(true);
  });
});

describe('ingress', () => {
  it('a listening port passes; a closed one fails with the reason', async () => {
    const srv = createServer((s) => s.end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    expect(await checkIngress(`http://127.0.0.1:${port}`)).toMatchObject({
      ok: true,
      detail: `127.0.0.1:${port} accepts connections (http://127.0.0.1:${port})`,
    });
    await new Promise((r) => srv.close(r));
    expect(await checkIngress(`http://127.0.0.1:${port}`)).toMatchObject({
      ok: false,
      detail: `cannot connect to 127.0.0.1:${port}: ECONNREFUSED`,
    });
  });
});

// --- the forge -----------------------------------------------------------------------------------

function fakeForge(o: { member?: boolean | 'unknown'; repos?: Record<string, Repository | Error> } = {}): ForgeClient {
  return {
    whoAmI: async () => ({ login: 'cc-ci-bot' }) as User,
    isOrgMember: async () => o.member ?? true,
    getRepo: async (repo: string) => {
      const r = o.repos?.[repo];
      if (r instanceof Error) throw r;
      return r ?? ({ full_name: repo, permissions: { admin: false, push: true, pull: true } } as Repository);
    },
  } as unknown as ForgeClient;
}

describe('forge checks', () => {
  const me = async () => ({ login: 'cc-ci-bot' }) as User;

  it('the bot must be a member of the org', async () => {
    expect(await checkForgeOrg(fakeForge(), me, 'coop-cloud')).toMatchObject({
      ok: true,
      detail: 'cc-ci-bot is a member of coop-cloud',
    });
    expect(await checkForgeOrg(fakeForge({ member: 'unknown' }), me, 'coop-cloud')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/forge\.allowlist is empty, so nobody can trigger/),
      fix: expect.stringMatching(/add cc-ci-bot to a team of coop-cloud, or list who may trigger in forge\.allowlist/),
    });
  });

  it('an allowlist-only setup (the bot outside the org) is green and says only the allowlist may trigger', async () => {
    expect(await checkForgeOrg(fakeForge({ member: 'unknown' }), me, 'coop-cloud', ['alice', 'bob'])).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /^cc-ci-bot is not a member of coop-cloud, so only forge\.allowlist may trigger \(2 logins\)/,
      ),
    });
  });

  it('each enrolled repository readable, with push; each problem named', async () => {
    expect(await checkForgeRepos(fakeForge(), ['coop-cloud/a', 'coop-cloud/b'])).toMatchObject({
      ok: true,
      detail: '2 repositories: readable, and the bot has write access',
    });
    const outcome = await checkForgeRepos(
      fakeForge({
        repos: {
          'coop-cloud/b': { permissions: { admin: false, push: false, pull: true } } as Repository,
          'coop-cloud/c': new Error(
            'GET /repos/coop-cloud/c: the forge at https://git.example.org answered 404 Not Found',
          ),
        },
      }),
      ['coop-cloud/a', 'coop-cloud/b', 'coop-cloud/c'],
    );
    expect(outcome).toMatchObject({ ok: false, detail: '2 of 3 enrolled repositories are not usable:' });
    expect(outcome.more).toEqual([
      'coop-cloud/b: readable, but the bot may not push to it, so it cannot post commit statuses',
      'coop-cloud/c: GET /repos/coop-cloud/c: the forge at https://git.example.org answered 404 Not Found',
    ]);
  });
});

describe('doctorChecks', () => {
  const base =
    'swarm: {server: default, domain: ci.test, abra: ./abra, ingress: "http://127.0.0.1:1"}\nstore: ./data\n';
  const config = (text: string) => {
    const dir = tmp();
    writeFileSync(join(dir, 'cc-ci.yml'), text);
    return loadConfig({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
  };
  const deps = {
    abra: {
      resolved: undefined,
      version: async () => ({ exitCode: 127, stdout: '', stderr: '', timedOut: false }),
      help: async () => ({ exitCode: 127, stdout: '', stderr: '', timedOut: false }),
    },
    abraCalls: [],
    docker: fakeDocker(),
    chromium: async () => ({ ok: true, detail: 'Chromium 1' }),
    backups: { list: async () => [], forget: async () => {} },
  };

  it('without a forge section: no forge checks', () => {
    expect(doctorChecks(config(base), deps).map((c) => c.name)).toEqual([
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
      'secrets',
    ]);
  });

  it('a 10-character admin token: loaded for the doctor, whose secrets check fails with the fix', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'cc-ci.yml'), base);
    const load = (allowWeakSecrets: boolean) =>
      loadConfig({
        path: join(dir, 'cc-ci.yml'),
        env: { CCCI_ADMIN_TOKEN: '0123456789' },
        secrets: new SecretRegistry(),
        allowWeakSecrets,
      });
    expect(() => load(false)).toThrow(/CCCI_ADMIN_TOKEN.*10 characters.*openssl rand -hex 32/);
    const [result] = await runChecks(doctorChecks(load(true), deps).filter((k) => k.name === 'secrets'));
    expect(result).toMatchObject({ name: 'secrets', ok: false, fix: expect.stringMatching(/openssl rand -hex 32/) });
    expect(result!.more).toEqual([expect.stringMatching(/^CCCI_ADMIN_TOKEN: the secret is 10 characters long/)]);
  });

  it('a forge section without a token: the token fails and the rest is skipped', async () => {
    const c = config(
      `${base}forge: {type: gitea, url: "https://git.example.org", org: coop-cloud, repos: [coop-cloud/a]}\n`,
    );
    const results = await runChecks(doctorChecks(c, deps).filter((k) => k.name.startsWith('forge')));
    expect(results.map((r) => [r.name, r.ok, r.skipped ?? false])).toEqual([
      ['forge token', false, false],
      ['forge login', false, true],
      ['forge org', false, true],
      ['forge repos', false, true],
    ]);
  });

  it("with a token: the bot's login, its org, its repositories (GET /user once)", async () => {
    const c = loadConfig({
      path: (() => {
        const d = tmp();
        writeFileSync(
          join(d, 'cc-ci.yml'),
          `${base}forge: {type: gitea, url: "https://git.example.org", org: coop-cloud, repos: [coop-cloud/a]}\n`,
        );
        return join(d, 'cc-ci.yml');
      })(),
      env: { CCCI_FORGE_TOKEN: 't0ken' },
      secrets: new SecretRegistry(),
    });
    let whoAmI = 0;
    const forge = fakeForge();
    const counting = {
      ...forge,
      whoAmI: async () => {
        whoAmI += 1;
        return forge.whoAmI();
      },
    } as ForgeClient;
    const results = await runChecks(
      doctorChecks(c, { ...deps, forge: counting }).filter((k) => k.name.startsWith('forge')),
    );
    expect(results.map((r) => [r.name, r.ok, r.detail])).toEqual([
      ['forge token', true, 'set (CCCI_FORGE_TOKEN)'],
      ['forge login', true, "the token is cc-ci-bot's on https://git.example.org"],
      ['forge org', true, 'cc-ci-bot is a member of coop-cloud'],
      ['forge repos', true, '1 repository: readable, and the bot has write access'],
    ]);
    expect(whoAmI).toBe(1);
  });

  it('a token handed over as a systemd credential is named as such', async () => {
    const d = tmp();
    writeFileSync(join(d, 'forge_token'), 'credential-t0ken');
    writeFileSync(
      join(d, 'cc-ci.yml'),
      `${base}forge: {type: gitea, url: "https://git.example.org", org: coop-cloud}\n`,
    );
    const c = loadConfig({
      path: join(d, 'cc-ci.yml'),
      env: { CREDENTIALS_DIRECTORY: d, CCCI_FORGE_TOKEN: 'env-t0ken' },
      secrets: new SecretRegistry(),
    });
    const results = await runChecks(doctorChecks(c, deps).filter((k) => k.name === 'forge token'));
    expect(results.map((r) => r.detail)).toEqual(['set (credential forge_token)']);
  });
});
