// The recipe spec (DESIGN §3.4): the operator's `recipes/<recipe>/ci.yml`, or the recipe's own
// `tests/cc-ci.yml` (load-spec.ts). Every key is optional: a recipe without a spec gets the generic
// suite. Unknown keys are errors, so a typo is never ignored.
import { z } from 'zod';
import { durationSchema } from '../config/duration.js';
import { stageNames } from '../model/stage.js';

const path = z.string().regex(/^\/[^\s]*$/, 'expected a URL path starting with "/"');
const command = z.array(z.string()).min(1, 'expected a command as a list of arguments, e.g. ["cat", "/data/x"]');

const httpCheck = z.strictObject({
  http: z.strictObject({
    path,
    status: z.number().int().min(100).max(599).optional(),
    contains: z.string().optional(),
  }),
});

const browserCheck = z.strictObject({
  browser: z.strictObject({ path, see: z.string().optional() }),
});

export const specSchema = z
  .strictObject({
    /** Merged into the app .env; `{{domain}}` becomes the app's domain. */
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an env variable name'),
        z.union([z.string(), z.number()]).transform(String),
      )
      .default({}),
    health: z
      .strictObject({
        path: path.default('/'),
        status: z.number().int().min(100).max(599).optional(),
        timeout: durationSchema.default(60_000),
      })
      .default({ path: '/', timeout: 60_000 }),
    checks: z.array(z.union([httpCheck, browserCheck])).default([]),
    /** Write, change and read a marker in a service; used by upgrade and backup. `{{marker}}` is substituted. */
    data: z
      .strictObject({
        service: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected a compose service name'),
        seed: command,
        mutate: command,
        read: command,
      })
      .optional(),
    stages: z.partialRecord(z.enum(stageNames), z.literal('na')).default({}),
    na_reason: z.partialRecord(z.enum(stageNames), z.string().min(1)).default({}),
    upgrade: z
      .strictObject({
        from: z
          .union([
            z.literal('previous'),
            z.string().regex(/^\d+\.\d+\.\d+(\+\S+)?$/, 'expected "previous" or a release version like 1.2.0+1.27.2'),
          ])
          .default('previous'),
      })
      .default({ from: 'previous' }),
    /** Extension of DESIGN §3.4: lint normally sets L5 only; `blocking: true` lets it fail the run. */
    lint: z.strictObject({ blocking: z.boolean().default(false) }).default({ blocking: false }),
  })
  .superRefine((spec, ctx) => {
    for (const stage of Object.keys(spec.stages)) {
      if (!spec.na_reason[stage as keyof typeof spec.na_reason]) {
        ctx.addIssue({
          code: 'custom',
          path: ['na_reason', stage],
          message: `stage ${stage} is declared na: say why in na_reason.${stage}`,
        });
      }
    }
  });

export type RecipeSpec = z.output<typeof specSchema>;
export type SpecCheck = RecipeSpec['checks'][number];

/** The spec of a recipe that has none: the generic suite. */
export const genericSpec: RecipeSpec = specSchema.parse({});
