import { describe, expect, it } from 'vitest';
import { MASK, SecretRegistry } from '../../src/secrets/secret-registry.js';
import { StreamRedactor } from '../../src/secrets/stream-redactor.js';

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

describe('StreamRedactor', () => {
  const text = `line one\nthe secret is ${secret} here\nand ${secret}${secret} twice\nlast ${secret}`;

  it('masks a secret split across chunks at every possible split point', () => {
    for (let cut = 1; cut < text.length; cut++) {
      const s = new StreamRedactor(registry(secret));
      const out = s.push(text.slice(0, cut)) + s.push(text.slice(cut)) + s.end();
      expect(out).not.toContain(secret.slice(0, 8));
      expect(out).toBe(text.replaceAll(secret, MASK));
    }
  });

  it('masks when fed one character at a time', () => {
    const s = new StreamRedactor(registry(secret));
    let out = '';
    for (const ch of text) out += s.push(ch);
    out += s.end();
    expect(out).toBe(text.replaceAll(secret, MASK));
  });

  it('lets a very long line out in pieces without leaking a secret at the piece boundary', () => {
    const filler = 'x'.repeat(70 * 1024);
    const long = `${filler}${secret}${filler}`;
    const s = new StreamRedactor(registry(secret));
    const half = filler.length + 10; // inside the secret
    const first = s.push(long.slice(0, half));
    expect(first.length).toBeGreaterThan(0);
    const out = first + s.push(long.slice(half)) + s.end();
    expect(out).toBe(`${filler}${MASK}${filler}`);
  });
});
