// The fingerprints reconcile records for the secrets it inserted (src/host/fingerprint.ts): a
// password's is a salted scrypt hash that stays the same for the same password (the salt comes
// from the last record) and changes with it, and never holds the password.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { passwordFingerprint, sha256Of } from '../../../src/host/fingerprint.js';

const dir = mkdtempSync(join(tmpdir(), 'ccci-fp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'restic_password');

describe('fingerprints', () => {
  it("a password's: the same with the recorded salt, another for another password, never the password", () => {
    writeFileSync(file, 'correct horse battery staple\n');
    const first = passwordFingerprint(file, undefined)!;
    expect(first).toMatch(/^scrypt:[0-9a-f]{32}:[0-9a-f]{64}$/);
    expect(first).not.toContain('horse');
    expect(passwordFingerprint(file, first)).toBe(first);
    writeFileSync(file, 'another password\n');
    expect(passwordFingerprint(file, first)).not.toBe(first);
  });

  it("a certificate's is its sha256; an unreadable file has none", () => {
    writeFileSync(file, 'abc');
    expect(sha256Of(file)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Of(join(dir, 'missing'))).toBeUndefined();
    expect(passwordFingerprint(join(dir, 'missing'), undefined)).toBeUndefined();
  });
});
