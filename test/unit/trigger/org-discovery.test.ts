// Org discovery against the stand-in forge on 127.0.0.1, through cc-ci's own forge client: the
// org's recipes are its repositories with a compose.yml at the root that are not archived; a
// forge that fails keeps the last set; the hourly timer and a refresh read the org again.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Enrolment } from '../../../src/config/enrolment.js';
import { createGiteaClient } from '../../../src/forge/gitea/client.js';
import type { ForgeClient } from '../../../src/forge/types.js';
import { findOrgRecipes, OrgDiscovery } from '../../../src/trigger/org-discovery.js';
import { startForge, type Forge } from '../../../testbed/forge/server.js';
import { FakeClock } from '../../support/fake-clock.js';

let forge: Forge;
let client: ForgeClient;
const lines: Array<{ level: number; msg: string }> = [];
const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  const c = forge.control;
  // A recipe, one without compose.yml (a tool repository), one archived, one elsewhere.
  await c.importFixture('custom-html', { owner: 'coop-cloud', name: 'Keycloak' });
  await c.importFixture('custom-html', { owner: 'coop-cloud', name: 'docs' });
  await c.commitOnBranch('coop-cloud/docs', 'main', { 'compose.yml': null }, 'not a recipe');
  await c.importFixture('custom-html', { owner: 'coop-cloud', name: 'old-recipe' });
  c.setArchived('coop-cloud/old-recipe', true);
  await c.importFixture('custom-html', { owner: 'maintainer', name: 'mine' });
  client = createGiteaClient({ url: forge.url, token: forge.seeded!.tokens['cc-ci-bot']!, retries: 0 });
});

afterAll(async () => {
  await forge?.close();
});

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('org discovery', () => {
  it('enrols the org repositories with a compose.yml that are not archived, in lower case', async () => {
    const { recipes, skipped } = await findOrgRecipes(client, 'coop-cloud');
    expect(recipes).toEqual(['coop-cloud/custom-html', 'coop-cloud/keycloak']);
    expect(skipped).toEqual([
      { repo: 'coop-cloud/docs', why: 'no compose.yml' },
      { repo: 'coop-cloud/old-recipe', why: 'archived' },
    ]);
  });

  it('reads every page of a large org', async () => {
    const big = 'many';
    forge.control.createOrg({ name: big, members: [{ login: 'cc-ci-bot' }] });
    const source = (await forge.control.handle('coop-cloud/keycloak')).dir;
    for (let i = 0; i < 51; i++) await forge.control.importRepo(source, { owner: big, name: `r${i}` });
    const { recipes } = await findOrgRecipes(client, big);
    expect(recipes).toHaveLength(51);
  });

  it('keeps the last set when the forge fails, says what to do, and reads again on the hour', async () => {
    const clock = new FakeClock();
    const enrolment = new Enrolment(['other/listed'], ['coop-cloud']);
    const changes: string[][] = [];
    enrolment.onChange((c) => changes.push(c.added));
    const discovery = new OrgDiscovery({
      forge: client,
      enrolment,
      log,
      clock,
      intervalMs: 3_600_000,
      retryMs: 300_000,
    });
    await discovery.start();
    expect(enrolment.list()).toEqual(['other/listed', 'coop-cloud/custom-html', 'coop-cloud/keycloak']);
    expect(changes).toEqual([['coop-cloud/custom-html', 'coop-cloud/keycloak']]);

    // The forge fails at the hourly read: the set stays, a warning says so, a retry comes in 5 min.
    forge.control.fault({ mode: '500', forMs: 60_000 });
    lines.length = 0;
    clock.advance(3_600_000);
    await settle();
    await discovery.refresh();
    expect(enrolment.list()).toEqual(['other/listed', 'coop-cloud/custom-html', 'coop-cloud/keycloak']);
    const warn = lines.find((l) => l.level === 40)!;
    expect(warn.msg).toContain('listing the recipe repositories of org coop-cloud failed');
    expect(warn.msg).toContain('keeping the 2 found before');
    expect(warn.msg).toContain('kill -HUP');
    forge.control.clearFault();

    // Unarchived meanwhile: the retry after the failure enrols it.
    forge.control.setArchived('coop-cloud/old-recipe', false);
    clock.advance(300_000);
    await settle();
    await discovery.refresh();
    expect(enrolment.has('coop-cloud/old-recipe')).toBe(true);
    await discovery.stop();
    expect(clock.pending).toBe(0);
    forge.control.setArchived('coop-cloud/old-recipe', true);
  });
});
