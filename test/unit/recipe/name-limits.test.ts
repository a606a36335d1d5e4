// Who is to blame for a swarm name over Docker's limits: the recipe when its own names do not fit
// beside the longest stack name abra makes (45 characters), whatever swarm.domain this host has;
// the swarm.domain only when the names pass that rule and this app's stack still does not fit.
import { describe, expect, it } from 'vitest';
import { blame } from '../../../src/model/blame.js';
import { CcciError } from '../../../src/model/errors.js';
import { checkRecipeNameLimits, namesTooLong } from '../../../src/recipe/name-limits.js';

const capture = (fn: () => void): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

// The stack of an app on a 7-character swarm.domain (ci.test): 19 characters.
const shortStack = 'cust-abc123_ci_test';

describe('swarm name limits', () => {
  it('passes names that fit beside a 45-character stack: a 17-character service, secret and version 17', () => {
    const names = { services: ['app', 's'.repeat(17)], secrets: ['db_password', 'x'.repeat(15)] };
    expect(namesTooLong(names, {})).toEqual([]);
    expect(capture(() => checkRecipeNameLimits(shortStack, names, {}))).toBeUndefined();
    // The longest stack really fits them: 45 + 1 + 17 = 63, 45 + 1 + 15 + 1 + 2 = 64.
    expect(capture(() => checkRecipeNameLimits('a'.repeat(45), names, {}))).toBeUndefined();
  });

  it("a 45-character secret is the recipe's fail on a short swarm.domain too, naming it and the room it leaves", () => {
    const secret = 'x'.repeat(45);
    const err = capture(() => checkRecipeNameLimits(shortStack, { services: ['app'], secrets: [secret] }, {}));
    expect(blame(err)).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
    const message = (err as Error).message;
    expect(message).toContain('do not fit beside the longest stack name abra makes (45 characters)');
    expect(message).toContain(
      `secret ${secret} with version v1 (47 characters) leaves room for a 15-character stack name`,
    );
    expect(message).toContain('a secret name and its version together to at most 17');
    expect(message).not.toContain('swarm.domain');
  });

  it('names every name too long: services and secrets', () => {
    const service = 's'.repeat(18);
    const err = capture(() =>
      checkRecipeNameLimits('b', { services: ['app', service, 'db'], secrets: ['a_rather_long_secret'] }, {}),
    );
    expect(blame(err)).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
    expect((err as Error).message).toContain(
      `service ${service} (18 characters) leaves room for a 44-character stack name; ` +
        'secret a_rather_long_secret with version v1 (22 characters) leaves room for a 40-character stack name.',
    );
    expect((err as Error).message).not.toMatch(/service (app|db) /);
  });

  it('blames the swarm.domain only when the names fit the rule and this stack still does not', () => {
    const err = capture(() => checkRecipeNameLimits('x'.repeat(60), { services: ['app'], secrets: [] }, {}));
    expect(err).toBeInstanceOf(CcciError);
    expect(blame(err)).toMatchObject({ status: 'error', code: 'CONFIG_INVALID' });
    expect((err as Error).message).toContain('use a shorter swarm.domain');
  });

  it('counts the secret version the app .env sets', () => {
    const secret = 'y'.repeat(15);
    expect(namesTooLong({ services: [], secrets: [secret] }, {})).toEqual([]);
    const env = { [`SECRET_${secret.toUpperCase()}_VERSION`]: 'v12' };
    expect(namesTooLong({ services: [], secrets: [secret] }, env)).toEqual([
      `secret ${secret} with version v12 (18 characters) leaves room for a 44-character stack name`,
    ]);
  });
});
