// age-encrypted secret files (`*.age`), decrypted in memory through the age-encryption library.
// The library's own messages are never repeated: some quote the file's first line, which for a
// plain file misnamed `.age` is the secret itself.
import { readFileSync } from 'node:fs';
import { Decrypter, armor } from 'age-encryption';
import { CcciError } from '../model/errors.js';

export const AGE_SUFFIX = '.age';
const IDENTITY_KEY = 'secrets.ageIdentityFile';
const ARMOR_HEADER = '-----BEGIN AGE ENCRYPTED FILE-----';

export function isAgeFile(path: string): boolean {
  return path.endsWith(AGE_SUFFIX);
}

/**
 * The identities (`AGE-SECRET-KEY-1…` lines, as `age-keygen` writes them; `#` lines are comments)
 * in an identity file. Several may be listed, so that files for the old and the new recipient both
 * open while an identity is rotated.
 */
export function readAgeIdentities(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CcciError(
      'CONFIG_INVALID',
      `${IDENTITY_KEY}: cannot read ${path} (${code}); make it readable by the user that runs cc-ci (mode 600)`,
    );
  }
  const identities = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const valid = identities.length > 0 && identities.every((line) => /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(line));
  if (!valid)
    throw new CcciError(
      'CONFIG_INVALID',
      `${IDENTITY_KEY}: ${path} holds no age identity: expected lines AGE-SECRET-KEY-1… ` +
        'as `age-keygen -o FILE` writes them (lines starting with # are comments)',
    );
  return identities;
}

/** Decrypts `path` (binary or ASCII-armoured age) with `identities`; `key` names the config key in errors. */
export async function decryptAgeFile(path: string, key: string, identities: string[], identityFile: string) {
  let data: Uint8Array;
  try {
    data = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CcciError('CONFIG_INVALID', `${key}: cannot read ${path} (${code})`);
  }
  const decrypter = new Decrypter();
  try {
    for (const identity of identities) decrypter.addIdentity(identity);
  } catch {
    throw new CcciError(
      'CONFIG_INVALID',
      `${IDENTITY_KEY}: ${identityFile} holds an identity the age library cannot read; make a new one with age-keygen`,
    );
  }
  try {
    const text = Buffer.from(data).toString('latin1');
    const binary = text.trimStart().startsWith(ARMOR_HEADER) ? armor.decode(text) : data;
    return await decrypter.decrypt(binary, 'text');
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('no identity matched')) {
      throw new CcciError(
        'CONFIG_INVALID',
        `${key}: ${path} was not encrypted to the identity in ${IDENTITY_KEY} (${identityFile}); ` +
          're-encrypt it to that identity\'s recipient: age -r "$(age-keygen -y IDENTITY)" -o FILE.age',
      );
    }
    throw new CcciError(
      'CONFIG_INVALID',
      `${key}: ${path} is not a readable age file (damaged, cut short or not age at all); ` +
        'encrypt the secret again: age -r RECIPIENT -o FILE.age',
    );
  }
}
