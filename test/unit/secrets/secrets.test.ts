import { describe, expect, it } from 'vitest';
import { MASK, SecretRegistry } from '../../../src/secrets/secret-registry.js';

const secret = 'Zq8pL2vX9mK4nR7tB1cD5fG3hJ6wY0aE';

function registry(...values: string[]): SecretRegistry {
  const r = new SecretRegistry();
  for (const v of values) r.add(v);
  return r;
}

describe('SecretRegistry', () => {
  it('masks the value and its base64, JSON-escaped and URL-encoded forms', () => {
    const tricky = 'pa"ss\\w/ord+=1';
    const r = registry(secret, tricky);
    const b64 = Buffer.from(secret).toString('base64');
    const text = `a ${secret} b ${b64} c ${JSON.stringify({ v: tricky })} d ${encodeURIComponent(tricky)}`;
    const out = r.redact(text);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(b64);
    expect(out).not.toContain('ss\\\\w');
    expect(out).not.toContain(encodeURIComponent(tricky));
    expect(out.split(MASK).length - 1).toBe(4);
  });

  it('masks each line of a multi-line secret', () => {
    const pem = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\n-----END KEY-----';
    const out = registry(pem).redact('key line: MIIEvQIBADANBgkqhkiG9w0BAQEF');
    expect(out).toBe(`key line: ${MASK}`);
  });

  it('ignores values too short to be secrets', () => {
    expect(registry('v1', 'ab').redact('v1 ab')).toBe('v1 ab');
  });

  it('masks inside nested JSON values', () => {
    const r = registry(secret);
    expect(r.redactDeep({ a: [{ b: `x${secret}y` }] })).toEqual({ a: [{ b: `x${MASK}y` }] });
  });
});
