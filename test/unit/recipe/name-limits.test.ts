// Who is to blame for a swarm name over Docker's limits: the recipe when its own names are too
// long for any app, the operator's swarm.domain when a shorter stack would fit.
import { describe, expect, it } from 'vitest';
import { blame } from '../../../src/model/blame.js';
import { CcciError } from '../../../src/model/errors.js';
import { checkRecipeNameLimits } from '../../../src/recipe/name-limits.js';

const capture = (fn: () => void): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('swarm name limits', () => {
  it('passes names that fit', () => {
    expect(
      capture(() => checkRecipeNameLimits('cust-abc123_ci_test', { services: ['app'], secrets: ['db_password'] }, {})),
    ).toBeUndefined();
  });

  it('blames the recipe when a secret name cannot fit under any stack, naming it and the limit', () => {
    const err = capture(() =>
      checkRecipeNameLimits('cust-abc123_ci_test', { services: ['app'], secrets: ['x'.repeat(60)] }, {}),
    );
    expect(blame(err)).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
    expect((err as Error).message).toMatch(new RegExp(`secret a_${'x'.repeat(60)}_v1 \\(65 > 64\\)`));
    expect((err as Error).message).not.toContain('swarm.domain');
  });

  it('blames the recipe for a service name too long for any stack', () => {
    const err = capture(() =>
      checkRecipeNameLimits('cust-abc123_ci_test', { services: ['s'.repeat(62)], secrets: [] }, {}),
    );
    expect(blame(err)).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
    expect((err as Error).message).toMatch(/service a_s+ \(64 > 63\)/);
  });

  it('blames the swarm.domain when only the domain makes the name too long', () => {
    const longDomainStack = `cust-abc123_${'ci_'.repeat(12)}test`;
    const err = capture(() =>
      checkRecipeNameLimits(longDomainStack, { services: ['app'], secrets: ['db_password'] }, {}),
    );
    expect(err).toBeInstanceOf(CcciError);
    expect((err as CcciError).code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toContain('use a shorter swarm.domain');
  });

  it('counts the secret version the app .env sets', () => {
    const secret = 'y'.repeat(57);
    expect(capture(() => checkRecipeNameLimits('b', { services: [], secrets: [secret] }, {}))).toBeUndefined();
    const env = { [`SECRET_${secret.toUpperCase()}_VERSION`]: 'v12345' };
    expect(blame(capture(() => checkRecipeNameLimits('b', { services: [], secrets: [secret] }, env)))).toMatchObject({
      status: 'fail',
      code: 'RECIPE_BROKEN',
    });
  });
});
