// A compose file the recipe names (or the default compose.yml) that is not there is reported as a
// fact about the recipe's files; blame.ts makes it the recipe's fail.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blame } from '../../../src/model/blame.js';
import { FactError } from '../../../src/model/errors.js';
import { composeFiles, readComposeNames } from '../../../src/recipe/compose-names.js';

describe('compose names', () => {
  it('reads services, secrets and backup labels from the files COMPOSE_FILE names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-ci-compose-'));
    writeFileSync(join(dir, 'compose.yml'), 'services:\n  app:\n    deploy:\n      labels: [backupbot.backup=true]\n');
    writeFileSync(join(dir, 'compose.db.yml'), 'services:\n  db: {}\nsecrets:\n  db_password: {}\n');
    const files = composeFiles({ COMPOSE_FILE: 'compose.yml:compose.db.yml' });
    expect(readComposeNames(dir, files)).toEqual({
      services: ['app', 'db'],
      secrets: ['db_password'],
      hasBackupLabels: true,
    });
  });
  it("reports a missing compose file as the recipe's, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-ci-compose-'));
    let err: unknown;
    try {
      readComposeNames(dir, ['compose.yml', 'compose.smtp.yml']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FactError);
    expect(err).toMatchObject({ fact: { source: 'recipe', what: 'compose-file-missing' } });
    expect(blame(err)).toEqual({
      status: 'fail',
      code: 'RECIPE_BROKEN',
      message: 'the recipe has no compose.yml (named by COMPOSE_FILE or expected by default)',
    });
  });
});
