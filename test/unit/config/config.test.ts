import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrolledRepoUrl } from '../../../src/config/enrolled.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';

function write(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, 'cc-ci.yml'), text);
  return join(dir, 'cc-ci.yml');
}

const minimal =
  'swarm: {server: default, domain: ci.test, abra: ./abra, ingress: "http://127.0.0.1:8480"}\nstore: ./data\n';

describe('config', () => {
  it('loads, applies defaults, resolves paths against the file, and freezes', () => {
    const path = write(minimal);
    const c = loadConfig({ path, env: {}, secrets: new SecretRegistry() });
    expect(c.store).toBe(join(path, '..', 'data'));
    expect(c.swarm.abra).toBe(join(path, '..', 'abra'));
    expect(c.runner.janitorMaxAge).toBe(2 * 3600_000);
    expect(c.runner.stages).toEqual(['install', 'upgrade', 'backup', 'recipe-local', 'lint']);
    expect(Object.isFrozen(c.swarm)).toBe(true);
  });
  it('reads secret files and registers them for masking', () => {
    const path = write(
      `${minimal}forge: {type: gitea, url: "https://git.example.org", org: coop-cloud, tokenFile: ./token}\n`,
      { token: 'forge-token-value-123\n' },
    );
    const secrets = new SecretRegistry();
    const c = loadConfig({ path, env: {}, secrets });
    expect(c.secrets.forgeToken).toBe('forge-token-value-123');
    expect(secrets.redact('x forge-token-value-123 y')).toBe('x *** y');
  });
  it('forge: repos in lower case (names are compared without case), webhookMaxAge 5 min unless set', () => {
    const forge = 'forge: {type: gitea, url: "https://git.example.org", org: coop-cloud';
    const c = loadConfig({
      path: write(`${minimal}${forge}, repos: [Coop-Cloud/Custom-HTML, coop-cloud/keycloak]}\n`),
      env: {},
      secrets: new SecretRegistry(),
    });
    expect(c.forge?.repos).toEqual(['coop-cloud/custom-html', 'coop-cloud/keycloak']);
    // `cc-ci run custom-html` without --repo, and the API's default repo, find it.
    expect(enrolledRepoUrl(c, 'custom-html')).toBe('https://git.example.org/coop-cloud/custom-html.git');
    expect(c.forge?.webhookMaxAge).toBe(300_000);
    const set = loadConfig({
      path: write(`${minimal}${forge}, webhookMaxAge: 2m}\n`),
      env: {},
      secrets: new SecretRegistry(),
    });
    expect(set.forge?.webhookMaxAge).toBe(120_000);
    const load = (text: string) => () =>
      loadConfig({ path: write(`${minimal}${text}`), env: {}, secrets: new SecretRegistry() });
    expect(load(`${forge}, webhookMaxAge: 1s}\n`)).toThrow(/forge\.webhookMaxAge: at least 10s/);
    expect(load(`${forge}, repos: [coop-cloud/a, Coop-Cloud/A]}\n`)).toThrow(
      /forge\.repos: a repository is listed twice/,
    );
  });
  it('pushRuns on unless set; schedules read by croner, naming enrolled recipes only, and only with a forge', () => {
    const forge = 'forge: {type: gitea, url: "https://git.example.org", org: coop-cloud, repos: [coop-cloud/keycloak]';
    const load = (text: string) =>
      loadConfig({ path: write(`${minimal}${text}`), env: {}, secrets: new SecretRegistry() });
    const c = load(`${forge}}\nschedules: [{cron: "0 3 * * *", run: all}, {cron: "30 2 * * 0", run: [keycloak]}]\n`);
    expect(c.forge?.pushRuns).toBe(true);
    expect(c.schedules).toEqual([
      { cron: '0 3 * * *', run: 'all' },
      { cron: '30 2 * * 0', run: ['keycloak'] },
    ]);
    expect(load(`${forge}, pushRuns: false}\n`).forge?.pushRuns).toBe(false);
    expect(load('').schedules).toEqual([]);
    expect(() => load(`${forge}}\nschedules: [{cron: "at three", run: all}]\n`)).toThrow(
      /schedules\.0\.cron: expected a cron expression/,
    );
    expect(() => load(`${forge}}\nschedules: [{cron: "0 3 * * *", run: [keycloak, custom-html]}]\n`)).toThrow(
      /schedules\.0\.run: custom-html is not an enrolled repository's name/,
    );
    expect(() => load('schedules: [{cron: "0 3 * * *", run: all}]\n')).toThrow(/schedules: .*configure forge/);
  });
  it('runner.drone: read with its token and ingest secret (masked); executor drone without it is refused', () => {
    const drone =
      'runner: {executor: drone, drone: {url: "https://drone.example.org", tokenFile: ./drone-token, ' +
      'repo: ops/cc-ci-runner, ingestSecretFile: ./ingest}}\n';
    const secrets = new SecretRegistry();
    const c = loadConfig({
      path: write(`${minimal}${drone}`, {
        'drone-token': 'drone-token-value-1\n',
        ingest: 'ingest-secret-value-2-0123456789\n',
      }),
      env: {},
      secrets,
    });
    expect(c.runner.drone).toMatchObject({ url: 'https://drone.example.org', repo: 'ops/cc-ci-runner' });
    expect(c.secrets.droneToken).toBe('drone-token-value-1');
    expect(c.secrets.ingestSecret).toBe('ingest-secret-value-2-0123456789');
    expect(secrets.redact('drone-token-value-1 ingest-secret-value-2-0123456789')).toBe('*** ***');
    // From the environment, as the other secrets.
    const fromEnv = loadConfig({
      path: write(`${minimal}runner: {executor: drone, drone: {url: "https://d.example.org", repo: a/b}}\n`),
      env: { CCCI_DRONE_TOKEN: 'env-drone-token', CCCI_INGEST_SECRET: 'env-ingest-secret-0123456789' },
      secrets: new SecretRegistry(),
    });
    expect(fromEnv.secrets).toMatchObject({
      droneToken: 'env-drone-token',
      ingestSecret: 'env-ingest-secret-0123456789',
    });
    // A runner host's config has no runner.drone; its Drone step hands the ingest secret over in the environment.
    const runnerHost = new SecretRegistry();
    const onRunner = loadConfig({
      path: write(minimal),
      env: { CCCI_INGEST_SECRET: 'runner-ingest-secret-0123456789' },
      secrets: runnerHost,
    });
    expect(onRunner.secrets.ingestSecret).toBe('runner-ingest-secret-0123456789');
    expect(runnerHost.redact('runner-ingest-secret-0123456789')).toBe('***');
    const load = (text: string) => () =>
      loadConfig({ path: write(`${minimal}${text}`), env: {}, secrets: new SecretRegistry() });
    expect(load('runner: {executor: drone}\n')).toThrow(/runner\.drone: runner\.executor is drone but runner\.drone/);
    expect(load('runner: {drone: {url: "https://d.example.org", repo: nope}}\n')).toThrow(/runner\.drone\.repo/);
  });
  it('takes secrets from the environment when no file is named', () => {
    const c = loadConfig({
      path: write(minimal),
      env: { CCCI_ADMIN_TOKEN: 'admin-token-456-0123456789abcdef' },
      secrets: new SecretRegistry(),
    });
    expect(c.secrets.adminToken).toBe('admin-token-456-0123456789abcdef');
  });
  it('refuses a 10-character admin token at load, saying how to make a long one', () => {
    const load = () =>
      loadConfig({ path: write(minimal), env: { CCCI_ADMIN_TOKEN: '0123456789' }, secrets: new SecretRegistry() });
    expect(load).toThrow(/CCCI_ADMIN_TOKEN: the secret is 10 characters long; use at least 24/);
    expect(load).toThrow(/openssl rand -hex 32/);
  });
  it('refuses a short webhook secret file at load, naming the key', () => {
    const path = write(
      `${minimal}forge: {type: gitea, url: "https://git.example.org", org: o, webhookSecretFile: ./hook}\n`,
      { hook: 'hook-secret-0123\n' },
    );
    expect(() => loadConfig({ path, env: {}, secrets: new SecretRegistry() })).toThrow(
      /forge\.webhookSecretFile: the secret is 16 characters long/,
    );
  });
  it('the ingest secret: from runner.drone.ingestSecretFile or CCCI_INGEST_SECRET, masked, refused when short', () => {
    const drone = `${minimal}runner: {executor: drone, drone: {url: "https://drone.example.org", repo: ops/cc-ci, `;
    const secrets = new SecretRegistry();
    const fromFile = loadConfig({
      path: write(`${drone}ingestSecretFile: ./ingest}}\n`, { ingest: 'i'.repeat(32) + '\n' }),
      env: {},
      secrets,
    });
    expect(fromFile.secrets.ingestSecret).toBe('i'.repeat(32));
    expect(secrets.redact(`x ${'i'.repeat(32)} y`)).toBe('x *** y');
    const fromEnv = loadConfig({ path: write(minimal), env: { CCCI_INGEST_SECRET: 'e'.repeat(32) }, secrets });
    expect(fromEnv.secrets.ingestSecret).toBe('e'.repeat(32));
    expect(() =>
      loadConfig({
        path: write(`${drone}ingestSecretFile: ./ingest}}\n`, { ingest: 'short-secret' }),
        env: {},
        secrets,
      }),
    ).toThrow(/runner\.drone\.ingestSecretFile: the secret is 12 characters long/);
  });
  it('dashboard limits: defaults, and origins must be bare origins', () => {
    const c = loadConfig({ path: write(minimal), env: {}, secrets: new SecretRegistry() });
    expect(c.dashboard).toMatchObject({
      maxLiveLogs: 200,
      maxLiveLogsPerClient: 10,
      allowedRepoOrigins: [],
      trustedProxies: [],
    });
    const ok = `${minimal}dashboard: {allowedRepoOrigins: ["https://git.example.org", "file:///srv/mirrors/"]}\n`;
    expect(
      loadConfig({ path: write(ok), env: {}, secrets: new SecretRegistry() }).dashboard.allowedRepoOrigins,
    ).toEqual(['https://git.example.org', 'file:///srv/mirrors/']);
    for (const bad of [
      'https://git.example.org/owner',
      'https://u:p@git.example.org',
      'ftp://git.example.org',
      'file:///srv/mirrors',
      'file:///srv/../etc/',
    ]) {
      const text = `${minimal}dashboard: {allowedRepoOrigins: ["${bad}"]}\n`;
      expect(() => loadConfig({ path: write(text), env: {}, secrets: new SecretRegistry() })).toThrow(
        /dashboard\.allowedRepoOrigins\.0: expected an origin like https:\/\/git\.example\.org .*file:\/\/\/srv/,
      );
    }
  });
  it.each([
    ['swarm: {server: default, domain: ci.test}\nbogus: 1\n', /\(top level\): Unrecognized key: "bogus"/],
    ['swarm: {server: default}\n', /swarm\.domain: /],
    [
      'swarm: {server: default, domain: ci.test}\nrunner: {runTimeout: soon}\n',
      /runner\.runTimeout: expected a duration/,
    ],
    ['swarm: {server: default, domain: "CI TEST"}\n', /swarm\.domain: expected a DNS domain/],
    // 35 characters: a test app's stack name would exceed abra's 45.
    [
      'swarm: {server: default, domain: ci.a-rather-long-domain-example.org}\n',
      /swarm\.domain: at most 33 characters: abra cuts stack names at 45/,
    ],
    ['swarm: [unclosed\n', /not valid YAML/],
    ['swarm: !!js/function "x"\n', /not valid YAML: Unresolved tag/],
    [
      `${minimal}forge: {type: gitea, url: "https://g.example.org", org: o, tokenFile: ./missing}\n`,
      /forge\.tokenFile: cannot read .*missing \(ENOENT\)/,
    ],
  ])('refuses bad config %#', (text, message) => {
    expect(() => loadConfig({ path: write(text), env: {}, secrets: new SecretRegistry() })).toThrow(message);
  });
  it('dashboard.minFreeSpace: 5 GiB unless set, in binary or decimal units, and nonsense is refused', () => {
    const load = (text: string) =>
      loadConfig({ path: write(`${minimal}${text}`), env: {}, secrets: new SecretRegistry() });
    expect(load('').dashboard.minFreeSpace).toBe(5 * 2 ** 30);
    expect(load('dashboard: {minFreeSpace: 512MiB}\n').dashboard.minFreeSpace).toBe(512 * 2 ** 20);
    expect(load('dashboard: {minFreeSpace: "1.5 GB"}\n').dashboard.minFreeSpace).toBe(1.5e9);
    expect(load('dashboard: {minFreeSpace: 4096}\n').dashboard.minFreeSpace).toBe(4096);
    expect(() => load('dashboard: {minFreeSpace: lots}\n')).toThrow(/dashboard\.minFreeSpace: expected a size like/);
    expect(() => load('dashboard: {minFreeSpace: 5 furlongs}\n')).toThrow(/dashboard\.minFreeSpace/);
  });
  it('retention.images: images pruned by default, pulled ones only, older than a day; switchable off', () => {
    const load = (text: string) =>
      loadConfig({ path: write(`${minimal}${text}`), env: {}, secrets: new SecretRegistry() });
    expect(load('').retention).toEqual({
      days: 30,
      keepPerRecipe: 20,
      images: { olderThan: 86_400_000, keep: [], keepUnpulled: true },
      resticPrune: true,
    });
    const set = load(
      'retention: {images: {olderThan: 3d, keep: ["nginx:*"], keepUnpulled: false}, resticPrune: false}\n',
    );
    expect(set.retention.images).toEqual({ olderThan: 3 * 86_400_000, keep: ['nginx:*'], keepUnpulled: false });
    expect(set.retention.resticPrune).toBe(false);
    expect(load('retention: {images: false}\n').retention.images).toBe(false);
    expect(() => load('retention: {images: true}\n')).toThrow(/retention\.images/);
    expect(() => load('retention: {images: {olderthan: 1d}}\n')).toThrow(/olderthan/);
  });
  it('says how to give a config when none is given', () => {
    expect(() => loadConfig({ env: {}, secrets: new SecretRegistry() })).toThrow(
      /pass --config <file> or set CCCI_CONFIG/,
    );
  });
});
