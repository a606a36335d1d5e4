import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnvFile, setEnvValues } from '../../../src/abra/env-file.js';

describe('app .env', () => {
  it('reads values, ignoring comments and quotes', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'env-')), 'a.env');
    writeFileSync(
      f,
      "TYPE=custom-html:1.0.0\n# comment\nDOMAIN='x.ci.test'\nTIMEOUT=20 # seconds\n" +
        'SECRET_DB_PASSWORD_VERSION=v1 # length=32\n',
    );
    expect(readEnvFile(f)).toEqual({
      TYPE: 'custom-html:1.0.0',
      DOMAIN: 'x.ci.test',
      TIMEOUT: '20',
      SECRET_DB_PASSWORD_VERSION: 'v1',
    });
  });
  it('sets keys in place, uncomments commented keys, appends new ones and keeps the rest', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'env-')), 'a.env');
    writeFileSync(f, 'TYPE=x\nLETS_ENCRYPT_ENV=production\n#TIMEOUT=300\n# keep me\n');
    setEnvValues(f, { LETS_ENCRYPT_ENV: '', TIMEOUT: '900', NEW: 'y' });
    expect(readFileSync(f, 'utf8')).toBe('TYPE=x\nLETS_ENCRYPT_ENV=\nTIMEOUT=900\n# keep me\nNEW=y\n');
  });
  it('refuses a value with a newline (it would inject another key)', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'env-')), 'a.env');
    writeFileSync(f, 'A=1\n');
    expect(() => setEnvValues(f, { A: '1\nEVIL=2' })).toThrow(/newline/);
  });
});
