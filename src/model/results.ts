// The schema of results.json, in zod so the type, the runtime check and the published JSON Schema
// (docs/results.schema.json, kept in sync by a test) are one thing.
import { z } from 'zod';
import { stageNames } from '../model/stage.js';

const checkRow = z.object({
  name: z.string().describe('The check, test case or lint rule.'),
  status: z.enum(['pass', 'fail', 'error', 'skip']),
  detail: z.string().optional().describe('What was seen, e.g. "GET / -> 200, title …", or why it failed.'),
  durationMs: z.number().optional(),
  artifact: z.string().optional().describe('File name under artifacts/, e.g. a screenshot.'),
});

const stageResult = z.object({
  name: z.enum(stageNames),
  status: z.enum(['pass', 'fail', 'skip', 'na', 'error'])
    .describe('pass; fail (the recipe); skip (not asked for, or not runnable); na (not applicable, with the reason); error (infrastructure, not the recipe).'),
  reason: z.string().optional().describe('Why the stage ended as it did; set for fail, error, na and skip.'),
  startedAt: z.string().optional(),
  durationMs: z.number().optional(),
  checks: z.array(checkRow),
  advisory: z.boolean().optional().describe('A failure lowers the level but not the verdict (lint unless the spec makes it blocking).'),
});

const deployedApp = z.object({
  role: z.enum(['install', 'upgrade']),
  domain: z.string(),
  stack: z.string(),
  version: z.string().optional().describe('The coop-cloud.<stack>.version label on the app service.'),
  chaosVersion: z.string().optional().describe('The coop-cloud.<stack>.chaos-version label: the deployed commit (8 hex, +U when dirty).'),
});

export const runResultsSchema = z.object({
  schemaVersion: z.literal(1),
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
  stages: z.array(stageResult).describe('Every stage, in order: install, upgrade, backup, recipe-local, lint.'),
  level: z.number().int().min(0).max(5).describe('The highest rung (L1 install … L5 lint) whose rung and every rung below is pass or na.'),
  verdict: z.enum(['pass', 'fail', 'error']),
  apps: z.array(deployedApp),
  teardown: z.object({
    clean: z.boolean().describe('Nothing of the run is left on the swarm.'),
    left: z.array(z.string()).describe('What was left, e.g. "volume x_content".'),
    durationMs: z.number(),
    keptUntil: z.string().optional().describe('--keep: the failed deployment stays until then.'),
  }),
  error: z.string().optional().describe('Why the run could not reach a recipe verdict, when it could not.'),
  artifacts: z.array(z.string()).describe('File names under artifacts/.'),
}).describe('cc-ci results.json');

export type RunResults = z.infer<typeof runResultsSchema>;

export function resultsJsonSchema(): unknown {
  return z.toJSONSchema(runResultsSchema, { target: 'draft-2020-12' });
}
