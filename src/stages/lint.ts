// The lint stage (DESIGN §4.7): `abra recipe lint` on a clean clone at the tested ref. Its rule
// table becomes rows; an unsatisfied error-level rule fails the stage, which keeps L5 from being
// reached but does not fail the run unless the spec says `lint: {blocking: true}`.
import type { Abra } from '../harness/abra.js';
import { finishStage } from '../model/blame.js';
import type { CheckRow, StageResult } from '../model/stage.js';
import type { StageContext } from './stage-context.js';

export async function runLint(ctx: StageContext, clean: { abra: Abra }): Promise<StageResult> {
  const started = Date.now();
  try {
    const rules = await clean.abra.lint(ctx.recipe, { signal: ctx.signal });
    const rows: CheckRow[] = rules.map((r) => ({
      name: `${r.ref} ${r.rule}`,
      status: r.satisfied ? 'pass' : r.severity === 'error' ? 'fail' : 'skip',
      code: r.satisfied || r.severity !== 'error' ? undefined : 'LINT_FAILED',
      detail: r.satisfied ? undefined : `${r.severity}: not satisfied`,
    }));
    return { ...finishStage('lint', started, rows, undefined, ctx.signal), advisory: !ctx.spec.lint.blocking };
  } catch (err) {
    return finishStage('lint', started, [], err, ctx.signal);
  }
}
