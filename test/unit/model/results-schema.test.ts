import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resultsJsonSchema, runResultsSchema } from '../../../src/model/results.js';
import { errorCodes } from '../../../src/model/errors.js';

describe('results.json schema', () => {
  it('is published in docs/results.schema.json as generated (run npm run docs:schema after a change)', () => {
    const published = JSON.parse(readFileSync(new URL('../../../docs/results.schema.json', import.meta.url), 'utf8'));
    expect(published).toEqual(resultsJsonSchema());
  });
  it('refuses results with an unknown stage status', () => {
    const bad = {
      schemaVersion: 2,
      runId: 'r',
      recipe: 'x',
      repo: 'y',
      ref: 'z',
      versions: {},
      startedAt: '',
      finishedAt: '',
      durationMs: 0,
      stages: [{ name: 'install', status: 'maybe', checks: [] }],
      level: 0,
      verdict: 'pass',
      apps: [],
      teardown: { clean: true, left: [], durationMs: 0 },
      artifacts: [],
    };
    expect(runResultsSchema.safeParse(bad).success).toBe(false);
    expect(
      runResultsSchema.safeParse({ ...bad, stages: [{ name: 'install', status: 'na', checks: [] }] }).success,
    ).toBe(true);
  });
  it('documents every error code in docs/debugging.md', () => {
    const doc = readFileSync(new URL('../../../docs/debugging.md', import.meta.url), 'utf8');
    for (const code of errorCodes) expect(doc, `docs/debugging.md should mention ${code}`).toContain(code);
  });
});
