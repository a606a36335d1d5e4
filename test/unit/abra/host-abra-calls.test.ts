// The abra calls of `cc-ci host reconcile` (src/abra/host-abra.ts) are the ones
// docs/abra-contract.md lists under "Setting up a host", and the minimum abra version is compared
// as the docs say (a pre-release of 0.13.0 counts as 0.13.0).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { abraVersionAtLeast, parseAbraVersion } from '../../../src/abra/abra-version.js';
import { hostAbraCalls } from '../../../src/abra/host-abra.js';

const contract = readFileSync(new URL('../../../docs/abra-contract.md', import.meta.url), 'utf8');

describe('host abra calls', () => {
  it('each is in docs/abra-contract.md with its argv and evidence', () => {
    for (const call of Object.values(hostAbraCalls)) {
      expect(contract).toContain(`| ${call.id} | \`abra ${call.argv.join(' ')}\` | ${call.evidence} |`);
    }
  });

  it('compares abra versions by release, a pre-release counting as its release', () => {
    expect(parseAbraVersion('abra version 0.13.0-beta-06a57de')).toEqual([0, 13, 0]);
    expect(abraVersionAtLeast('abra version 0.13.0-beta-06a57de')).toBe(true);
    expect(abraVersionAtLeast('abra version 0.14.2')).toBe(true);
    expect(abraVersionAtLeast('abra version 1.0.0')).toBe(true);
    expect(abraVersionAtLeast('abra version 0.12.9')).toBe(false);
    expect(abraVersionAtLeast('abra version 0.9.10')).toBe(false);
    expect(abraVersionAtLeast('not abra')).toBe(false);
  });
});
