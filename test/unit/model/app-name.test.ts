import { describe, expect, it } from 'vitest';
import { CcciError } from '../../../src/model/errors.js';
import {
  checkNameLimits,
  MAX_STACK_NAME,
  maxSwarmDomainLength,
  newAppName,
  testAppPattern,
} from '../../../src/model/app-name.js';

describe('app names', () => {
  it('makes <short>-<6hex>.<domain> with the stack as abra derives it', () => {
    const a = newAppName('custom-html', 'ci.test');
    expect(a.domain).toMatch(/^cust-[0-9a-f]{6}\.ci\.test$/);
    expect(a.stack).toBe(a.domain.replaceAll('.', '_'));
    expect(newAppName('n8n', 'ci.test').domain).toMatch(/^n8n-[0-9a-f]{6}\.ci\.test$/);
    expect(newAppName('custom-html', 'ci.test').domain).not.toBe(a.domain);
  });
  it('recognises only its own names', () => {
    const p = testAppPattern('ci.test');
    expect(p.domain.test(newAppName('keycloak', 'ci.test').domain)).toBe(true);
    expect(p.stack.test(newAppName('keycloak', 'ci.test').stack)).toBe(true);
    for (const other of ['traefik.ci.test', 'keycloak.example.org', 'warm-keycloak.ci.test', 'kc-12345.ci.test'])
      expect(p.domain.test(other)).toBe(false);
    expect(p.stack.test('backups')).toBe(false);
  });
  it('refuses names over Docker limits before deploying', () => {
    const stack = 'cust-abc123_ci_example_org';
    expect(() => checkNameLimits(stack, ['app'], [`${stack}_db_password_v1`])).not.toThrow();
    expect(() => checkNameLimits(stack, ['app'], [`${stack}_${'x'.repeat(40)}_v1`])).toThrow(/secret .* > 64/);
    expect(() => checkNameLimits(stack, ['s'.repeat(40)], [])).toThrow(/service .* > 63/);
  });
});

describe('abra cuts stack names at 45 characters (item 7)', () => {
  it('refuses an app whose stack name would be longer, naming the limit and the numbers', () => {
    expect(maxSwarmDomainLength()).toBe(MAX_STACK_NAME - 'cust-abc123.'.length);
    const longest = 'd'.repeat(maxSwarmDomainLength());
    expect(newAppName('custom-html', longest).stack.length).toBe(45);
    const tooLong = `${longest}x`;
    expect(() => newAppName('custom-html', tooLong)).toThrow(CcciError);
    expect(() => newAppName('custom-html', tooLong)).toThrow(
      new RegExp(
        'stack name cust-[0-9a-f]{6}_d+x would be 46 characters, but abra cuts stack names at 45; ' +
          `swarm.domain "${tooLong}" is 34 characters and may be at most 33`,
      ),
    );
    try {
      newAppName('custom-html', tooLong);
    } catch (err) {
      expect((err as CcciError).code).toBe('CONFIG_INVALID');
    }
  });
});
