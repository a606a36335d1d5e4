import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blame } from '../../../src/model/blame.js';
import { checkAllSpecs, loadSpec, parseSpec } from '../../../src/spec/load-spec.js';

describe('recipe spec', () => {
  it('gives the generic suite to a recipe without a spec', () => {
    const loaded = loadSpec(mkdtempSync(join(tmpdir(), 'specs-')), 'custom-html');
    expect(loaded.file).toBeUndefined();
    expect(loaded.spec).toMatchObject({
      health: { path: '/', timeout: 60_000 },
      checks: [],
      stages: {},
      upgrade: { from: 'previous' },
      lint: { blocking: false },
    });
  });
  it('parses the documented example', () => {
    const spec = parseSpec(
      'env: {TIMEOUT: 900}\nhealth: {path: /, status: 200, timeout: 300s}\n' +
        'checks:\n  - http: {path: /, status: 200, contains: Welcome}\n  - browser: {path: /, see: Welcome}\n' +
        'stages: {lint: na}\nna_reason: {lint: "upstream R014"}\n',
      'ci.yml',
    );
    expect(spec.env).toEqual({ TIMEOUT: '900' });
    expect(spec.health.timeout).toBe(300_000);
    expect(spec.checks).toHaveLength(2);
  });
  it.each([
    ['helth: {}', /r\/ci.yml: \(top level\): Unrecognized key: "helth"/],
    ['stages: {lint: na}', /na_reason\.lint: stage lint is declared na: say why/],
    ['stages: {deploy: na}', /stages: Unrecognized key: "deploy"/],
    ['checks: [{http: {path: nope}}]', /checks\.0\.http\.path: expected a URL path/],
    ['data: {service: app, seed: [], mutate: [x], read: [y]}', /data\.seed: expected a command as a list/],
    ['upgrade: {from: latest}', /upgrade\.from: expected "previous" or a release version/],
    ['health: {timeout: forever}', /health\.timeout: expected a duration/],
    ['env: {"bad-name": x}', /env\.bad-name/],
    ['a: [unclosed', /not valid YAML/],
  ])('refuses %j naming the file and the key', (text, message) => {
    expect(() => parseSpec(text, 'r/ci.yml')).toThrow(message);
  });
  it('checks every recipe folder and collects the errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'specs-'));
    for (const [name, text] of [
      ['good', 'health: {path: /}\n'],
      ['bad', 'helth: {}\n'],
      ['none', undefined],
    ] as const) {
      mkdirSync(join(dir, name));
      if (text) writeFileSync(join(dir, name, 'ci.yml'), text);
    }
    writeFileSync(join(dir, 'good', 'x.check.ts'), 'export function a() {}\n');
    const rows = checkAllSpecs(dir);
    expect(rows.map((r) => [r.recipe, !!r.error, r.customChecks])).toEqual([
      ['bad', true, 0],
      ['good', false, 1],
      ['none', false, 0],
    ]);
  });
});

describe("where the spec comes from: cc-ci's recipes folder, else the recipe's own, else none", () => {
  /** A recipes folder and a checkout, each with the given spec (or none). */
  const setUp = (operator: string | undefined, own: string | undefined) => {
    const root = mkdtempSync(join(tmpdir(), 'spec-source-'));
    const recipesDir = join(root, 'recipes');
    const checkout = join(root, 'checkout');
    mkdirSync(join(recipesDir, 'custom-html'), { recursive: true });
    mkdirSync(join(checkout, 'tests'), { recursive: true });
    if (operator !== undefined) writeFileSync(join(recipesDir, 'custom-html', 'ci.yml'), operator);
    if (own !== undefined) writeFileSync(join(checkout, 'tests', 'cc-ci.yml'), own);
    return { recipesDir, checkout };
  };
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (err) {
      return err;
    }
    throw new Error('expected a throw');
  };

  it("reads the recipe's own tests/cc-ci.yml when cc-ci has none", () => {
    const { recipesDir, checkout } = setUp(undefined, 'health: {path: /own}\n');
    const loaded = loadSpec(recipesDir, 'custom-html', checkout);
    expect(loaded).toMatchObject({ source: 'recipe', file: 'tests/cc-ci.yml', path: 'tests/cc-ci.yml' });
    expect(loaded.spec.health.path).toBe('/own');
  });
  it("prefers cc-ci's recipes/<recipe>/ci.yml over the recipe's own, even a broken own", () => {
    const { recipesDir, checkout } = setUp('health: {path: /operator}\n', 'helth: {}\n');
    const loaded = loadSpec(recipesDir, 'custom-html', checkout);
    expect(loaded).toMatchObject({ source: 'operator', path: 'custom-html/ci.yml' });
    expect(loaded.spec.health.path).toBe('/operator');
  });
  it('gives the generic suite when neither has one, and reads no checkout without one', () => {
    const { recipesDir, checkout } = setUp(undefined, undefined);
    expect(loadSpec(recipesDir, 'custom-html', checkout)).not.toHaveProperty('file');
    expect(loadSpec(recipesDir, 'custom-html', checkout).source).toBe('generic');
    const own = setUp(undefined, 'health: {path: /own}\n');
    expect(loadSpec(own.recipesDir, 'custom-html').source).toBe('generic');
  });
  it("a broken own spec is the recipe's fail with the validation message; cc-ci's broken spec refuses the run", () => {
    const own = setUp(undefined, 'helth: {}\n');
    expect(blame(thrown(() => loadSpec(own.recipesDir, 'custom-html', own.checkout)))).toEqual({
      status: 'fail',
      code: 'SPEC_INVALID',
      message: 'tests/cc-ci.yml: (top level): Unrecognized key: "helth"',
    });
    const operator = setUp('helth: {}\n', undefined);
    expect(blame(thrown(() => loadSpec(operator.recipesDir, 'custom-html', operator.checkout)))).toMatchObject({
      status: 'error',
      code: 'RECIPE_INVALID',
      message: expect.stringContaining('custom-html/ci.yml: (top level): Unrecognized key: "helth"'),
    });
  });
  it('never follows a link out of the checkout: a symlinked spec is refused, not read', () => {
    const { recipesDir, checkout } = setUp(undefined, undefined);
    const outside = join(recipesDir, 'secret.yml');
    writeFileSync(outside, 'env: {SECRET: hunter2}\n');
    symlinkSync(outside, join(checkout, 'tests', 'cc-ci.yml'));
    const err = thrown(() => loadSpec(recipesDir, 'custom-html', checkout));
    expect(blame(err)).toMatchObject({ status: 'fail', code: 'SPEC_INVALID' });
    expect((err as Error).message).toMatch(/tests\/cc-ci.yml: must be a regular file in the repository/);
    expect((err as Error).message).not.toContain('hunter2');
  });
  it("never loads custom checks from the recipe's repository, only from cc-ci's recipes folder", () => {
    const { recipesDir, checkout } = setUp(undefined, 'health: {path: /}\n');
    writeFileSync(join(checkout, 'tests', 'evil.check.ts'), 'export function a() {}\n');
    writeFileSync(join(recipesDir, 'custom-html', 'site.check.ts'), 'export function a() {}\n');
    expect(loadSpec(recipesDir, 'custom-html', checkout).customChecks).toEqual([
      join(recipesDir, 'custom-html', 'site.check.ts'),
    ]);
  });
});
