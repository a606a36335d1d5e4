// What tells reconcile that a file it inserted as a secret has changed, recorded in its state
// file: a certificate's sha256 (a certificate is public), a password's salted scrypt hash (kept
// as a login keeps a password). A private key is never fingerprinted: it changes with its certificate.
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * A password file's fingerprint: a salted scrypt hash, as a login's password is kept (its salt
 * from the last record, so the same password gives the same fingerprint). Not the file's time: a
 * systemd credential is copied afresh at every start of its unit.
 */
export function passwordFingerprint(file: string, recorded: string | undefined): string | undefined {
  try {
    const content = readFileSync(file);
    const salt = /^scrypt:([0-9a-f]{32}):/.exec(recorded ?? '')?.[1] ?? randomBytes(16).toString('hex');
    return `scrypt:${salt}:${scryptSync(content, Buffer.from(salt, 'hex'), 32).toString('hex')}`;
  } catch {
    return undefined;
  }
}

export function sha256Of(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}
