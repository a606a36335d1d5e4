import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
