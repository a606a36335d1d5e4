import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareVersions, declaredVersion, planUpgradeBase } from '../../../src/recipe/versions.js';

const tags = ['1.0.0+1.27.2', '1.1.0+1.27.2', '1.10.0+1.28.0', '2.0.0+1.28.0', '0.9.1+1.25'];

describe('upgrade base', () => {
  it('orders versions numerically, not as text', () => {
    expect(compareVersions('1.10.0+x', '1.9.0+y')).toBeGreaterThan(0);
    expect(compareVersions('1.1.0+a', '1.1.0+b')).toBe(0);
  });
  it('takes the newest release below the head version', () => {
    expect(planUpgradeBase('previous', '2.0.0+1.28.0', tags)).toEqual({ base: '1.10.0+1.28.0' });
    expect(planUpgradeBase('previous', '1.2.0+1.27.2', tags)).toEqual({ base: '1.1.0+1.27.2' });
  });
  it('is na, with the reason, when there is nothing below', () => {
    expect(planUpgradeBase('previous', '0.9.1+1.25', tags)).toEqual({
      na: expect.stringContaining("no release tag below the head's version 0.9.1+1.25"),
    });
    expect(planUpgradeBase('previous', undefined, tags)).toEqual({
      na: expect.stringContaining('declares no coop-cloud'),
    });
  });
  it('takes a pinned version, and fails a pin that is not a tag', () => {
    expect(planUpgradeBase('1.0.0+1.27.2', '2.0.0+1.28.0', tags)).toEqual({ base: '1.0.0+1.27.2' });
    expect(planUpgradeBase('1.0.1+1.27.2', '2.0.0+1.28.0', tags)).toEqual({
      fail: expect.stringContaining('upgrade.from 1.0.1+1.27.2 is not a release tag'),
    });
  });
});

describe("the head's version", () => {
  it('is read from the compose files inside the checkout only, whatever COMPOSE_FILE names', () => {
    const root = mkdtempSync(join(tmpdir(), 'versions-'));
    const label = 'services:\n  app:\n    deploy:\n      labels:\n        - coop-cloud.${STACK_NAME}.version=';
    mkdirSync(join(root, 'recipe'));
    writeFileSync(join(root, 'recipe', 'compose.yml'), `${label}1.2.0+1.27.2\n`);
    writeFileSync(join(root, 'outside.yml'), `${label}9.9.9+host\n`);
    expect(declaredVersion(join(root, 'recipe'), ['compose.yml'])).toBe('1.2.0+1.27.2');
    // A spec's env (the recipe's own, from a PR) may set COMPOSE_FILE: it never reaches a file of the host.
    expect(declaredVersion(join(root, 'recipe'), ['../outside.yml'])).toBeUndefined();
  });
});
