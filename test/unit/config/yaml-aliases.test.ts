// A YAML alias bomb (a few lines that expand to millions of nodes) in cc-ci.yml or a recipe's
// ci.yml is refused like any other bad file: CONFIG_INVALID or RECIPE_INVALID, exit 2.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { exitCodeFor } from '../../../src/model/errors.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { parseSpec } from '../../../src/spec/load-spec.js';

/** Ten lists of ten aliases each, nested: 10^9 nodes once expanded. */
const bomb = [
  'a0: &a0 [x, x, x, x, x, x, x, x, x, x]',
  ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`),
].join('\n');

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('not refused');
};

describe('YAML aliases', () => {
  it('cc-ci.yml with too many is CONFIG_INVALID, exit 2', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aliases-')), 'cc-ci.yml');
    writeFileSync(file, `${bomb}\n`);
    const err = refusal(() => loadConfig({ path: file, env: {}, secrets: new SecretRegistry() }));
    expect(err).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/not valid YAML: Excessive alias count/),
    });
    expect(exitCodeFor(err)).toBe(2);
  });

  it('ci.yml with too many is RECIPE_INVALID, exit 2', () => {
    const err = refusal(() => parseSpec(`${bomb}\n`, 'recipes/bomb/ci.yml'));
    expect(err).toMatchObject({
      code: 'RECIPE_INVALID',
      message: expect.stringMatching(/not valid YAML: Excessive alias count/),
    });
    expect(exitCodeFor(err)).toBe(2);
  });
});
