// forge.repos' shapes: a list of owner/name, `{org: name}` alone, or a list mixing both; each
// mistake named plainly; a schedule naming a recipe not listed is refused only when no org is
// named (with an org, the sweep checks it at each firing).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrolledRepoUrl, knownRecipes } from '../../../src/config/enrolled.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';

const minimal = 'swarm: {server: default, domain: ci.test}\nstore: ./data\n';
const forge = 'forge: {type: gitea, url: "https://git.example.org", org: coop-cloud';

function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-repos-'));
  writeFileSync(join(dir, 'cc-ci.yml'), `${minimal}${text}`);
  return loadConfig({ path: join(dir, 'cc-ci.yml'), env: {}, secrets: new SecretRegistry() });
}

describe('forge.repos', () => {
  it('a list of owner/name, as before: no org', () => {
    const c = load(`${forge}, repos: [coop-cloud/custom-html]}\n`);
    expect(c.forge?.repos).toEqual(['coop-cloud/custom-html']);
    expect(c.forge?.repoOrgs).toEqual([]);
  });

  it('{org: name} alone (DESIGN §3.1), in lower case', () => {
    const c = load(`${forge}, repos: {org: Coop-Cloud}}\n`);
    expect(c.forge?.repos).toEqual([]);
    expect(c.forge?.repoOrgs).toEqual(['coop-cloud']);
  });

  it('a list mixing both', () => {
    const c = load(`${forge}, repos: [{org: coop-cloud}, Other/Thing, {org: more}]}\n`);
    expect(c.forge?.repos).toEqual(['other/thing']);
    expect(c.forge?.repoOrgs).toEqual(['coop-cloud', 'more']);
  });

  it('names each mistake plainly', () => {
    const bad = (repos: string) => () => load(`${forge}, repos: ${repos}}\n`);
    expect(bad('[coop-cloud/a, nope]')).toThrow(/forge\.repos\.1: expected owner\/name/);
    expect(bad('[{org: "a/b"}]')).toThrow(/forge\.repos\.0\.org: expected an org name/);
    expect(bad('[{orgs: coop-cloud}]')).toThrow(/forge\.repos\.0: Unrecognized key: "orgs"/);
    expect(bad('[42]')).toThrow(/forge\.repos\.0: expected owner\/name or \{org: name\}/);
    expect(bad('coop-cloud/a')).toThrow(/forge\.repos: expected a list of owner\/name and \{org: name\} items/);
    expect(bad('[{org: a}, {org: A}]')).toThrow(/forge\.repos: an org is listed twice/);
    expect(bad('[a/b, A/B]')).toThrow(/forge\.repos: a repository is listed twice/);
  });

  it('a schedule naming a recipe not listed: refused without an org, checked at firing time with one', () => {
    const schedule = 'schedules: [{cron: "0 3 * * *", run: [keycloak]}]\n';
    expect(() => load(`${forge}, repos: [coop-cloud/custom-html]}\n${schedule}`)).toThrow(
      /schedules\.0\.run: keycloak is not an enrolled repository's name/,
    );
    expect(load(`${forge}, repos: [{org: coop-cloud}]}\n${schedule}`).schedules).toHaveLength(1);
  });

  it("the run's default repository and the known recipes take the live set when given", () => {
    const c = load(`${forge}, repos: [{org: coop-cloud}]}\n`);
    expect(() => enrolledRepoUrl(c, 'keycloak')).toThrow(/found by cc-ci serve only: give --repo/);
    expect(enrolledRepoUrl(c, 'keycloak', ['coop-cloud/keycloak'])).toBe(
      'https://git.example.org/coop-cloud/keycloak.git',
    );
    expect(knownRecipes(c, ['coop-cloud/keycloak'])).toContain('keycloak');
  });
});
