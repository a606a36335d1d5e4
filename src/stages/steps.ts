// A stage is a sequence of steps; each step becomes a check row. A step that throws adds a row
// whose status `blame` decides (the recipe's `fail`, or `error`) and rethrows, so the stage
// stops there.
import { asRecipeAction } from '../abra/abra.js';
import { rowFromError } from '../model/blame.js';
import type { CheckRow } from '../model/stage.js';

export class StageSteps {
  readonly rows: CheckRow[] = [];

  constructor(private readonly signal: AbortSignal) {}

  /** Runs one step as a check row: pass with a detail, or a fail/error row and the error rethrown. */
  async run<T>(name: string, op: () => Promise<T>, detail?: (v: T) => string | undefined): Promise<T> {
    const started = Date.now();
    try {
      const value = await op();
      this.rows.push({ name, status: 'pass', detail: detail?.(value), durationMs: Date.now() - started });
      return value;
    } catch (err) {
      this.rows.push(rowFromError(name, err, this.signal, started));
      throw err;
    }
  }

  push(...rows: CheckRow[]): void {
    this.rows.push(...rows);
  }
}

/**
 * An abra call that acts on the recipe (deploy, backup, restore): a failure is noted as such, and
 * blame.ts decides whether abra refused the recipe or broke by itself.
 */
export async function actingOnTheRecipe<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw asRecipeAction(err);
  }
}
