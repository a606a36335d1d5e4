// The lint stage (DESIGN §4.7): `abra recipe lint` on a clean clone at the tested ref. Its rule
// table becomes rows; an unsatisfied error-level rule fails the stage, which keeps L5 from being
// reached but does not fail the run unless the spec says `lint: {blocking: true}`.
import type { CheckRow, StageResult } from '../model/stage.js';
import { finishStage } from './finish-stage.js';
import type { AppHandle, StageContext } from './stage-context.js';

export async function runLint(ctx: StageContext, clean: Pick<AppHandle, 'abra'>): Promise<StageResult> {
  const started = Date.now();
  try {
    const rules = await clean.abra.lint(ctx.recipe, { signal: ctx.signal });
    const rows: CheckRow[] = rules.map((r) => ({
      name: `${r.ref} ${r.rule}`,
      status: r.satisfied ? 'pass' : r.severity === 'error' ? 'fail' : 'skip',
      detail: r.satisfied ? undefined : `${r.severity}: not satisfied`,
    }));
    const result = finishStage('lint', started, rows);
    return { ...result, advisory: !ctx.spec.lint.blocking };
  } catch (err) {
    return finishStage('lint', started, [], err);
  }
}
