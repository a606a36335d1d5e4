// The lint stage against a fake abra: the rule table becomes rows; an unsatisfied error rule is
// the recipe's fail (advisory unless the spec makes lint blocking); abra that cannot lint, or a
// stopped run, is error. Lint has no skip of its own: `stages: {lint: na}` and "not asked" are
// decided by the runner (test/unit/runner/runner-phases.test.ts covers both).
import { describe, expect, it } from 'vitest';
import type { LintRule } from '../../../src/abra/abra.js';
import { CcciError } from '../../../src/model/errors.js';
import { lifecycle, type StageScope } from '../../../src/runner/stage-table.js';
import { runLint } from '../../../src/stages/lint.js';
import { FakeAbraPort } from '../../support/fake-abra-port.js';
import { stageRig } from '../../support/stage-context.js';

const rule = (ref: string, over: Partial<LintRule> = {}): LintRule => ({
  ref,
  rule: `rule ${ref}`,
  severity: 'error',
  satisfied: true,
  skipped: false,
  ...over,
});

describe('lint stage', () => {
  it('passes when every error rule is satisfied; warnings and rules abra skipped are skip rows', async () => {
    const rig = stageRig();
    rig.abra.on('lint', async () => [
      rule('R001'),
      rule('R010', { severity: 'warn', satisfied: false, resolve: 'add a README' }),
      rule('R013', { skipped: true, satisfied: false }),
    ]);
    const result = await runLint(rig.ctx, { abra: rig.abra });
    expect(result).toMatchObject({ name: 'lint', status: 'pass', advisory: true });
    expect(result.code).toBeUndefined();
    expect(result.checks).toEqual([
      { name: 'R001 rule R001', status: 'pass' },
      { name: 'R010 rule R010', status: 'skip', detail: 'warn: not satisfied (to fix: add a README)' },
      { name: 'R013 rule R013', status: 'skip', detail: 'error: skipped by abra' },
    ]);
    // abra lints the recipe by name, under the run's signal.
    expect(rig.abra.calls).toEqual([{ method: 'lint', args: ['custom-html'], opts: { signal: rig.ctx.signal } }]);
  });

  it('fails on an unsatisfied error rule, naming it and the fix; advisory unless lint is blocking', async () => {
    const rules = [rule('R001'), rule('R014', { satisfied: false, resolve: 'tag a release' })];
    const advisory = stageRig();
    advisory.abra.on('lint', async () => rules);
    const result = await runLint(advisory.ctx, { abra: advisory.abra });
    expect(result).toMatchObject({
      status: 'fail',
      code: 'LINT_FAILED',
      advisory: true,
      reason: 'R014 rule R014: error: not satisfied (to fix: tag a release)',
    });
    expect(result.checks.map((c) => c.status)).toEqual(['pass', 'fail']);

    const blocking = stageRig({ spec: { lint: { blocking: true } } });
    blocking.abra.on('lint', async () => rules);
    expect(await runLint(blocking.ctx, { abra: blocking.abra })).toMatchObject({
      status: 'fail',
      code: 'LINT_FAILED',
      advisory: false,
    });
  });

  it('is error, not fail, when abra could not lint at all', async () => {
    const rig = stageRig();
    const said = 'abra recipe lint custom-html printed no rule table; it said: panic';
    rig.abra.fail('lint', new CcciError('ABRA_FAILED', said));
    const result = await runLint(rig.ctx, { abra: rig.abra });
    expect(result).toMatchObject({ status: 'error', code: 'ABRA_FAILED', reason: said });
    expect(result.checks).toEqual([]);
  });

  it("is error with the stop's code when the run is stopped while abra lints", async () => {
    const rig = stageRig();
    rig.abra.hang('lint', () => setImmediate(() => rig.stop('TIMED_OUT', 'the run took longer than 60 min')));
    const result = await runLint(rig.ctx, { abra: rig.abra });
    expect(result).toMatchObject({
      status: 'error',
      code: 'TIMED_OUT',
      reason: 'stopped: the run took longer than 60 min',
    });
  });

  it('runs on the clean clone the run hands it, never on the install app (stage table)', async () => {
    const rig = stageRig();
    const clean = new FakeAbraPort(rig.root).on('lint', async () => [rule('R001', { satisfied: false })]);
    const scope = {
      ctx: rig.ctx,
      plan: { base: '1.0.0+1.27.2' },
      newApp: () => Promise.reject(new Error('lint made an app')),
      installApp: () => {
        throw new Error('lint asked for the install app');
      },
      cleanClone: async () => ({ abra: clean, recipeDir: rig.app.recipeDir }),
    } satisfies StageScope;
    const result = await lifecycle.find((d) => d.name === 'lint')!.run(scope);
    expect(result).toMatchObject({ name: 'lint', status: 'fail', code: 'LINT_FAILED' });
    expect(clean.called('lint')).toEqual([['custom-html']]);
    expect(rig.abra.calls).toEqual([]);
  });
});
