// The lint stage (DESIGN §4.7): `abra recipe lint` on a clean clone at the tested ref. Its rule
// table becomes rows; an unsatisfied error-level rule fails the stage, which keeps L5 from being
// reached but does not fail the run unless the spec says `lint: {blocking: true}`. abra that
// could not lint at all (no table, a crash, no terminal) is CcciError ABRA_FAILED: `error`.
import type { Abra, LintRule } from '../abra/abra.js';
import { finishStage, rowFromFact } from '../model/blame.js';
import type { CheckRow, StageResult } from '../model/stage.js';
import type { StageContext } from './stage-context.js';

export async function runLint(ctx: StageContext, clean: { abra: Abra }): Promise<StageResult> {
  const started = Date.now();
  try {
    const rules = await clean.abra.lint(ctx.recipe, { signal: ctx.signal });
    return {
      ...finishStage('lint', started, rules.map(lintRow), undefined, ctx.signal),
      advisory: !ctx.spec.lint.blocking,
    };
  } catch (err) {
    return finishStage('lint', started, [], err, ctx.signal);
  }
}

/** One rule, one row: satisfied passes, an unsatisfied error fails, a warning or a rule abra skipped is `skip`. */
export function lintRow(r: LintRule): CheckRow {
  const name = `${r.ref} ${r.rule}`.trim();
  const fix = r.resolve ? ` (to fix: ${r.resolve})` : '';
  if (r.skipped) return { name, status: 'skip', detail: `${r.severity}: skipped by abra` };
  if (r.satisfied) return { name, status: 'pass' };
  if (r.severity === 'error') {
    return rowFromFact(name, { source: 'lint', what: 'rule-unsatisfied' }, { detail: `error: not satisfied${fix}` });
  }
  return { name, status: 'skip', detail: `${r.severity || 'warn'}: not satisfied${fix}` };
}
