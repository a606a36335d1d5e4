// cc-ci doctor's check of forge.repos' orgs, against the stand-in forge: the recipes serve would
// enrol and those it would leave out; an org that gives none, or does not exist, fails with a fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkForgeOrgRepos } from '../../../src/doctor/forge-checks.js';
import { createGiteaClient } from '../../../src/forge/gitea/client.js';
import type { ForgeClient } from '../../../src/forge/types.js';
import { startForge, type Forge } from '../../../testbed/forge/server.js';

let forge: Forge;
let client: ForgeClient;

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  await forge.control.importFixture('custom-html', { owner: 'coop-cloud', name: 'old' });
  forge.control.setArchived('coop-cloud/old', true);
  client = createGiteaClient({ url: forge.url, token: forge.seeded!.tokens['cc-ci-bot']!, retries: 0 });
});

afterAll(async () => {
  await forge?.close();
});

describe('doctor: forge org repos', () => {
  it("names each org's recipes and what it leaves out", async () => {
    const o = await checkForgeOrgRepos(client, ['coop-cloud']);
    expect(o.ok).toBe(true);
    expect(o.more).toEqual(['coop-cloud: 1 recipe repositories; left out: coop-cloud/old (archived)']);
  });

  it('fails for an org that does not exist, with what to check', async () => {
    const o = await checkForgeOrgRepos(client, ['no-such-org']);
    expect(o.ok).toBe(false);
    expect(o.more![0]).toMatch(/^no-such-org: .*404/);
    expect(o.fix).toContain('check the org names in forge.repos');
  });
});
