// .age secret files, systemd credentials and their precedence, with real age (X25519 identities
// made here) and real files; and the rotations docs/secrets.md describes, each tried once.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Encrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadConfigAsync } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { CcciError } from '../../../src/model/errors.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { tokenMatches } from '../../../src/server/admin-auth.js';

const swarm = 'swarm: {server: default, domain: ci.test, abra: ./abra, ingress: "http://127.0.0.1:8480"}\n';
const forgeWith = (tokenFile: string) =>
  `forge: {type: gitea, url: "https://git.example.org", org: coop-cloud, tokenFile: ${tokenFile}}\n`;
const TOKEN = 'forge-token-from-age-0123456789';
const ADMIN = 'admin-token-0123456789abcdef-old';

async function identity() {
  const key = await generateX25519Identity();
  return { key, recipient: await identityToRecipient(key) };
}

async function encrypt(value: string, recipient: string): Promise<Uint8Array> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(value);
}

function folder(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'age-cfg-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

function identityFile(...keys: string[]): string {
  return `# created: 2026-12-07T00:00:00Z\n# public key: age1…\n${keys.join('\n')}\n`;
}

async function refusal(promise: Promise<unknown>): Promise<CcciError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CcciError);
  expect((err as CcciError).code).toBe('CONFIG_INVALID');
  return err as CcciError;
}

describe('age-encrypted secret files', () => {
  it('decrypts a .age file in memory with secrets.ageIdentityFile and masks the value', async () => {
    const { key, recipient } = await identity();
    const dir = folder({
      'token.age': await encrypt(`${TOKEN}\n`, recipient),
      'key.txt': identityFile(key),
      'cc-ci.yml': `${swarm}${forgeWith('./token.age')}secrets: {ageIdentityFile: ./key.txt}\n`,
    });
    const secrets = new SecretRegistry();
    const c = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets });
    expect(c.secrets.forgeToken).toBe(TOKEN);
    expect(secrets.redact(`sent ${TOKEN}`)).toBe('sent ***');
    // The identity is a secret too.
    expect(secrets.redact(`key ${key}`)).toBe('key ***');
    // And a log line that holds either reaches the stored log masked.
    const logFile = join(dir, 'run.log');
    const logger = createLogger({ secrets, file: logFile, console: false });
    logger.log.info({ header: `token ${TOKEN}` }, `identity ${key}`);
    await logger.close();
    const logged = readFileSync(logFile, 'utf8');
    expect(logged).toContain('token ***');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(key);
  });

  it('reads ASCII-armoured age files too', async () => {
    const { key, recipient } = await identity();
    const dir = folder({
      'token.age': armor.encode(await encrypt(TOKEN, recipient)),
      'key.txt': identityFile(key),
      'cc-ci.yml': `${swarm}${forgeWith('./token.age')}secrets: {ageIdentityFile: ./key.txt}\n`,
    });
    const c = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
    expect(c.secrets.forgeToken).toBe(TOKEN);
  });

  it('refuses a .age file when no identity is configured', async () => {
    const { recipient } = await identity();
    const dir = folder({
      'token.age': await encrypt(TOKEN, recipient),
      'cc-ci.yml': `${swarm}${forgeWith('./token.age')}`,
    });
    const err = await refusal(
      loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() }),
    );
    expect(err.message).toContain('forge.tokenFile');
    expect(err.message).toContain('set secrets.ageIdentityFile');
  });

  it('refuses a file encrypted to another identity, without printing either', async () => {
    const mine = await identity();
    const theirs = await identity();
    const dir = folder({
      'token.age': await encrypt(TOKEN, theirs.recipient),
      'key.txt': identityFile(mine.key),
      'cc-ci.yml': `${swarm}${forgeWith('./token.age')}secrets: {ageIdentityFile: ./key.txt}\n`,
    });
    const err = await refusal(
      loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() }),
    );
    expect(err.message).toContain('was not encrypted to the identity in secrets.ageIdentityFile');
    expect(err.message).not.toContain(mine.key);
    expect(err.message).not.toContain(TOKEN);
  });

  it('refuses a damaged file, and a plain file misnamed .age without quoting it', async () => {
    const { key, recipient } = await identity();
    const good = await encrypt(TOKEN, recipient);
    const cut = good.slice(0, good.length - 20);
    for (const content of [cut, `${TOKEN}\n`]) {
      const dir = folder({
        'token.age': content,
        'key.txt': identityFile(key),
        'cc-ci.yml': `${swarm}${forgeWith('./token.age')}secrets: {ageIdentityFile: ./key.txt}\n`,
      });
      const err = await refusal(
        loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() }),
      );
      expect(err.message).toContain('is not a readable age file');
      expect(err.message).not.toContain(TOKEN);
    }
  });

  it('refuses an identity file that is missing, unreadable or holds no identity', async () => {
    const { key, recipient } = await identity();
    const base = {
      'token.age': await encrypt(TOKEN, recipient),
      'cc-ci.yml': `${swarm}${forgeWith('./token.age')}secrets: {ageIdentityFile: ./key.txt}\n`,
    };
    const missing = folder(base);
    const err1 = await refusal(
      loadConfigAsync({ path: join(missing, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() }),
    );
    expect(err1.message).toMatch(/secrets.ageIdentityFile: cannot read .*key.txt \(ENOENT\)/);

    const garbage = folder({ ...base, 'key.txt': 'not an identity\n' });
    const err2 = await refusal(
      loadConfigAsync({ path: join(garbage, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() }),
    );
    expect(err2.message).toContain('holds no age identity');
    expect(err2.message).not.toContain('not an identity');

    // A directory cannot be read as a file, whoever runs the test (root reads any mode).
    const unreadable = folder(base);
    mkdirSync(join(unreadable, 'key.txt'));
    const err3 = await refusal(
      loadConfigAsync({ path: join(unreadable, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() }),
    );
    expect(err3.message).toMatch(/secrets.ageIdentityFile: cannot read .*key.txt \(EISDIR\)/);
    expect(key).toMatch(/^AGE-SECRET-KEY-1/);
  });

  it('the synchronous loader refuses a .age file instead of using it undecrypted', async () => {
    const { key, recipient } = await identity();
    const dir = folder({
      'token.age': await encrypt(TOKEN, recipient),
      'key.txt': identityFile(key),
      'cc-ci.yml': `${swarm}${forgeWith('./token.age')}secrets: {ageIdentityFile: ./key.txt}\n`,
    });
    expect(() => loadConfig({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() })).toThrow(
      /age-encrypted/,
    );
  });
});

describe('systemd credentials', () => {
  it('precedence: the *File key, then $CREDENTIALS_DIRECTORY/<name>, then the environment variable', async () => {
    const creds = folder({ forge_token: 'from-credential-0123456789', admin_token: 'a'.repeat(32) });
    const dir = folder({
      token: 'from-file-0123456789',
      'cc-ci.yml': `${swarm}${forgeWith('./token')}`,
    });
    const env = { CREDENTIALS_DIRECTORY: creds, CCCI_FORGE_TOKEN: 'from-env-0123', CCCI_ADMIN_TOKEN: 'b'.repeat(32) };
    const secrets = new SecretRegistry();
    const c = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env, secrets });
    expect(c.secrets.forgeToken).toBe('from-file-0123456789');
    expect(c.secrets.adminToken).toBe('a'.repeat(32));
    expect(c.secretOrigins?.adminToken).toBe('credential admin_token');
    expect(secrets.redact('a'.repeat(32))).toBe('***');

    const noKey = folder({ 'cc-ci.yml': swarm + 'forge: {type: gitea, url: "https://git.example.org", org: o}\n' });
    const c2 = await loadConfigAsync({ path: join(noKey, 'cc-ci.yml'), env, secrets: new SecretRegistry() });
    expect(c2.secrets.forgeToken).toBe('from-credential-0123456789');

    const c3 = await loadConfigAsync({
      path: join(noKey, 'cc-ci.yml'),
      env: { CREDENTIALS_DIRECTORY: folder({}), CCCI_FORGE_TOKEN: 'from-env-0123' },
      secrets: new SecretRegistry(),
    });
    expect(c3.secrets.forgeToken).toBe('from-env-0123');
  });

  it('a short admin token from a credential is refused naming the credential', async () => {
    const creds = folder({ admin_token: 'short' });
    const dir = folder({ 'cc-ci.yml': swarm });
    const err = await refusal(
      loadConfigAsync({
        path: join(dir, 'cc-ci.yml'),
        env: { CREDENTIALS_DIRECTORY: creds },
        secrets: new SecretRegistry(),
      }),
    );
    expect(err.message).toContain('credential admin_token');
  });

  it('the age identity may come as the credential age_identity', async () => {
    const { key, recipient } = await identity();
    const creds = folder({ age_identity: identityFile(key) });
    const dir = folder({
      'token.age': await encrypt(TOKEN, recipient),
      'cc-ci.yml': `${swarm}${forgeWith('./token.age')}`,
    });
    const c = await loadConfigAsync({
      path: join(dir, 'cc-ci.yml'),
      env: { CREDENTIALS_DIRECTORY: creds },
      secrets: new SecretRegistry(),
    });
    expect(c.secrets.forgeToken).toBe(TOKEN);
  });
});

describe('rotations (docs/secrets.md)', () => {
  it('forge token: from a plain file to a .age file', async () => {
    const { key, recipient } = await identity();
    const dir = folder({ token: 'old-plain-token-0123', 'key.txt': identityFile(key) });
    writeFileSync(join(dir, 'cc-ci.yml'), `${swarm}${forgeWith('./token')}`);
    const before = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
    expect(before.secrets.forgeToken).toBe('old-plain-token-0123');

    writeFileSync(join(dir, 'token.age'), await encrypt('new-token-0123456789', recipient));
    writeFileSync(join(dir, 'cc-ci.yml'), `${swarm}${forgeWith('./token.age')}secrets: {ageIdentityFile: ./key.txt}\n`);
    const after = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
    expect(after.secrets.forgeToken).toBe('new-token-0123456789');
  });

  it('age identity: files re-encrypted to the new recipient open with the new identity, not the old', async () => {
    const old = await identity();
    const next = await identity();
    const yml = `${swarm}${forgeWith('./token.age')}secrets: {ageIdentityFile: ./key.txt}\n`;
    // During the change the identity file holds both keys, so old and new files open.
    const dir = folder({ 'token.age': await encrypt(TOKEN, next.recipient), 'cc-ci.yml': yml });
    writeFileSync(join(dir, 'key.txt'), identityFile(old.key, next.key));
    const both = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
    expect(both.secrets.forgeToken).toBe(TOKEN);

    writeFileSync(join(dir, 'key.txt'), identityFile(old.key));
    await refusal(loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() }));

    writeFileSync(join(dir, 'key.txt'), identityFile(next.key));
    chmodSync(join(dir, 'key.txt'), 0o600);
    const after = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
    expect(after.secrets.forgeToken).toBe(TOKEN);
  });

  it('admin token and webhook secret: after the reload the old value is refused, the new one accepted', async () => {
    const dir = folder({ admin: ADMIN, hook: 'w'.repeat(32) });
    writeFileSync(
      join(dir, 'cc-ci.yml'),
      `${swarm}dashboard: {adminTokenFile: ./admin}\n` +
        'forge: {type: gitea, url: "https://git.example.org", org: o, webhookSecretFile: ./hook}\n',
    );
    const before = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
    expect(tokenMatches(before.secrets.adminToken, ADMIN)).toBe(true);

    const NEW = 'admin-token-0123456789abcdef-new';
    writeFileSync(join(dir, 'admin'), `${NEW}\n`);
    writeFileSync(join(dir, 'hook'), 'v'.repeat(32));
    const after = await loadConfigAsync({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
    expect(tokenMatches(after.secrets.adminToken, ADMIN)).toBe(false);
    expect(tokenMatches(after.secrets.adminToken, NEW)).toBe(true);
    expect(after.secrets.webhookSecret).toBe('v'.repeat(32));
  });
});
