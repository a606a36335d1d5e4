// How a failed abra call failed, read from abra's own words: the fact the adapter attaches and
// blame.ts judges. Any Abra's ABRA_FAILED (a test's fake too) is read the same way.
import { describe, expect, it } from 'vitest';
import { abraFact, asRecipeAction, readAbraFailure } from '../../../src/abra/abra.js';
import { CcciError } from '../../../src/model/errors.js';

describe("reading abra's words", () => {
  it.each([
    ['FATA Cannot connect to the Docker daemon at unix:///var/run/docker.sock', 'docker-unreachable'],
    ['FATA dial tcp 10.0.0.1:2376: connect: connection refused', 'docker-unreachable'],
    ['FATA the input device is not a TTY', 'no-terminal'],
    ['FATA no backupbot deployed: no running service labelled coop-cloud.backupbot.enabled=true', 'no-backupbot'],
    ['FATA server ci.test does not exist', 'unknown-server'],
    ['FATA unknown flag: --no-domain-checks', 'unknown-flag'],
    ["FATA unknown shorthand flag: 'C' in -C", 'unknown-flag'],
    ['Fatal: unable to create lock in backend: repository is already locked exclusively by PID 41', 'repo-locked'],
    ['FATA R014: only annotated tags used for recipe version', 'refused-by-lint'],
    ['FATA services.app.image must be a string', 'exited'],
  ])('%s → %s', (said, kind) => {
    expect(readAbraFailure(`abra app deploy exited 1: ${said}`).kind).toBe(kind);
  });

  it('names the lint rule, and lets plumbing words win over a rule', () => {
    expect(readAbraFailure('exited 1: FATA R014: only annotated tags')).toEqual({
      source: 'abra',
      kind: 'refused-by-lint',
      rule: 'R014',
    });
    expect(readAbraFailure('exited 1: FATA R014 check needs a terminal: not a tty').kind).toBe('no-terminal');
  });

  it('keeps what the adapter knew when the words say nothing more', () => {
    expect(readAbraFailure('abra app new exited 0 but wrote no x.env', 'unexpected-result', 'abra app new')).toEqual({
      source: 'abra',
      kind: 'unexpected-result',
      command: 'abra app new',
    });
    expect(readAbraFailure('could not start abra under a terminal: posix_spawnp failed', 'did-not-start').kind).toBe(
      'did-not-start',
    );
  });
});

describe('a failed call that acted on the recipe', () => {
  it("keeps the adapter's fact, or reads another Abra's message, and notes the recipe action", () => {
    const fact = { source: 'abra', kind: 'exited', command: 'abra app deploy' } as const;
    const own = new CcciError('ABRA_FAILED', 'abra app deploy exited 1: FATA bad', { fact });
    expect(abraFact(own)).toEqual(fact);
    expect(asRecipeAction(own)).toMatchObject({
      code: 'ABRA_FAILED',
      message: own.message,
      cause: own,
      fact: { ...fact, onRecipe: true },
    });
    const fakes = new CcciError('ABRA_FAILED', 'abra app restore exited 1: FATA the input device is not a TTY');
    expect(asRecipeAction(fakes)).toMatchObject({ fact: { source: 'abra', kind: 'no-terminal', onRecipe: true } });
  });
  it('leaves anything that is not ABRA_FAILED as it is', () => {
    const others = [new CcciError('CANCELLED', 'cancelled'), new CcciError('DEADLINE', 'no answer'), new Error('x')];
    for (const err of others) {
      expect(abraFact(err)).toBeUndefined();
      expect(asRecipeAction(err)).toBe(err);
    }
  });
});
