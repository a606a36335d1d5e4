// A run's results (DESIGN §3.6), in zod so the type, the runtime check and the published JSON
// Schema (docs/results.schema.json, kept in sync by a test) are one thing. results.json, the
// events file's run-finished, the store and the dashboard all carry this shape.
import { z } from 'zod';
import { errorCodes } from './errors.js';
import { stageNames } from './stage.js';

export const RESULTS_SCHEMA_VERSION = 2;

const errorInfo = z.object({
  code: z
    .string()
    .describe(
      `A stable code: one of ${errorCodes.join(', ')} (see docs/debugging.md), ` +
        'or for a recipe failure one of the RecipeFailure codes.',
    ),
  message: z.string(),
});

const checkRow = z.object({
  name: z.string().describe('The check, test case or lint rule.'),
  status: z.enum(['pass', 'fail', 'error', 'skip']),
  detail: z.string().optional().describe('What was seen, e.g. "GET / -> 200, title …", or why it failed.'),
  code: z.string().optional().describe('For fail and error rows: the code of what went wrong.'),
  durationMs: z.number().optional(),
  artifact: z.string().optional().describe('File name under artifacts/, e.g. a screenshot.'),
});

const stageResult = z.object({
  name: z.enum(stageNames),
  status: z
    .enum(['pass', 'fail', 'skip', 'na', 'error'])
    .describe(
      [
        'pass; fail (the recipe);',
        'skip (did not run, says nothing about the recipe:',
        'not asked for, needs a passing install, or the run was refused);',
        'na (not applicable, with the reason);',
        'error (the check could not be carried out: infrastructure, or the run was stopped).',
      ].join(' '),
    ),
  reason: z.string().optional().describe('Why the stage ended as it did; set for fail, error, na and skip.'),
  code: z.string().optional().describe('For fail and error: the code of what ended the stage.'),
  startedAt: z.string().optional(),
  durationMs: z.number().optional(),
  checks: z.array(checkRow),
  advisory: z
    .boolean()
    .optional()
    .describe('A failure lowers the level but not the verdict (lint unless the spec makes it blocking).'),
  naBy: z
    .enum(['operator', 'recipe', 'cc-ci'])
    .optional()
    .describe(
      "For na: who said so. operator (cc-ci's recipes/<recipe>/ci.yml, with a reason) counts for the level; " +
        "recipe (the recipe's own spec) and cc-ci (found at run time, e.g. no release to upgrade from) do not.",
    ),
});

const specUsed = z.object({
  source: z
    .enum(['operator', 'recipe', 'generic'])
    .describe(
      "operator: cc-ci's recipes/<recipe>/ci.yml (overrides the recipe's own); " +
        "recipe: the recipe's own tests/cc-ci.yml at the tested commit; generic: no spec, the generic suite.",
    ),
  path: z
    .string()
    .optional()
    .describe(
      "The file read: operator, relative to cc-ci's recipes folder (recipesDir), e.g. custom-html/ci.yml; " +
        'recipe, relative to the recipe repository, e.g. tests/cc-ci.yml.',
    ),
});

const serviceDiagnostics = z.object({
  name: z.string().describe('The compose service name.'),
  image: z.string().describe('The image the service ran, without digest.'),
  digest: z.string().optional().describe('The image digest (repo digest, or the local image id).'),
  log: z.string().optional().describe('Artifact file with the tail of the service log, taken before teardown.'),
});

const deployedApp = z.object({
  role: z.enum(['install', 'upgrade']),
  domain: z.string(),
  stack: z.string(),
  version: z.string().optional().describe('The coop-cloud.<stack>.version label on the app service.'),
  chaosVersion: z
    .string()
    .optional()
    .describe('The coop-cloud.<stack>.chaos-version label: the deployed commit (8 hex, +U when dirty).'),
  services: z
    .array(serviceDiagnostics)
    .optional()
    .describe('Each service of the app before teardown: image, digest and log artifact.'),
});

export const runResultsSchema = z
  .object({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
    runId: z.string(),
    recipe: z.string(),
    repo: z.string(),
    ref: z.string(),
    headSha: z.string().optional().describe('The commit the ref resolved to.'),
    versions: z.object({
      base: z.string().optional().describe('The release the upgrade started from.'),
      head: z.string().optional().describe("The head's coop-cloud.${STACK_NAME}.version label."),
    }),
    startedAt: z.string(),
    finishedAt: z.string(),
    durationMs: z.number(),
    spec: specUsed
      .optional()
      .describe('Which spec the run used, and from where (absent when the run was refused first).'),
    stages: z.array(stageResult).describe('Every stage, in order: install, upgrade, backup, recipe-local, lint.'),
    level: z
      .number()
      .int()
      .min(0)
      .max(5)
      .describe(
        'The highest rung (L1 install … L5 lint) whose rung and every rung below is pass, ' +
          'or na declared by the operator (naBy operator).',
      ),
    verdict: z.enum(['pass', 'fail', 'error']),
    apps: z.array(deployedApp),
    teardown: z.object({
      clean: z.boolean().describe('Nothing of the run is left on the swarm.'),
      left: z.array(z.string()).describe('What was left, e.g. "volume x_content".'),
      durationMs: z.number(),
      keptUntil: z.string().optional().describe('--keep: the failed deployment stays until then.'),
    }),
    error: errorInfo
      .optional()
      .describe(
        'Why the run could not reach a recipe verdict (verdict error): refused input, ' +
          'a stop (CANCELLED, SUPERSEDED, TIMED_OUT), broken infrastructure, or teardown left something.',
      ),
    artifacts: z.array(z.string()).describe('File names under artifacts/.'),
  })
  .describe('cc-ci results.json');

export type RunResults = z.infer<typeof runResultsSchema>;
export type DeployedApp = RunResults['apps'][number];
export type SpecUsed = z.infer<typeof specUsed>;
export type ServiceDiagnostics = z.infer<typeof serviceDiagnostics>;

export function resultsJsonSchema(): unknown {
  return z.toJSONSchema(runResultsSchema, { target: 'draft-2020-12' });
}
