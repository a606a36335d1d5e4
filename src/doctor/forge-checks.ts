// The forge, with a `forge` section: the token is set, it says who the bot is, the bot is a
// member of forge.org (or the forge will not say who is: then only forge.allowlist may trigger,
// which is a working setup when the allowlist is not empty), and it may read every enrolled
// repository and push to it (a commit status needs write). docs/forge.md lists the rights.
import { errorMessage } from '../model/errors.js';
import type { ForgeClient, User } from '../forge/types.js';
import { findOrgRecipes } from '../trigger/org-discovery.js';
import type { Outcome } from './check.js';

const RIGHTS = 'docs/forge.md, section 1';

/** `source` says where the token came from (`forge.tokenFile /etc/…`, `credential forge_token`, …). */
export async function checkForgeToken(token: string | undefined, source: string | undefined): Promise<Outcome> {
  if (token) return { ok: true, detail: `set (${source ?? 'CCCI_FORGE_TOKEN'})` };
  return {
    ok: false,
    detail: 'no token: the !testme trigger is off',
    fix:
      "put the bot account's API token in forge.tokenFile " +
      '(or hand it over as the systemd credential forge_token, or set CCCI_FORGE_TOKEN)',
  };
}

export async function checkForgeLogin(whoAmI: () => Promise<User>, url: string): Promise<Outcome> {
  try {
    const me = await whoAmI();
    return { ok: true, detail: `the token is ${me.login ?? '?'}'s on ${url}` };
  } catch (err) {
    return { ok: false, detail: errorMessage(err), fix: `check forge.url and the token (its scopes: ${RIGHTS})` };
  }
}

export async function checkForgeOrg(
  forge: ForgeClient,
  whoAmI: () => Promise<User>,
  org: string,
  allowlist: readonly string[] = [],
): Promise<Outcome> {
  const login = (await whoAmI()).login ?? '';
  const member = await forge.isOrgMember(org, login);
  if (member === true) return { ok: true, detail: `${login} is a member of ${org}` };
  if (allowlist.length > 0)
    return {
      ok: true,
      detail:
        `${login} is not a member of ${org}, so only forge.allowlist may trigger ` +
        `(${allowlist.length} ${allowlist.length === 1 ? 'login' : 'logins'}); ` +
        `to let every member of ${org} trigger, add ${login} to a team of ${org} (${RIGHTS})`,
    };
  return {
    ok: false,
    detail:
      `${login} is not a member of ${org}: the forge will not say who is, ` +
      'and forge.allowlist is empty, so nobody can trigger',
    fix: `add ${login} to a team of ${org}, or list who may trigger in forge.allowlist (${RIGHTS})`,
  };
}

export async function checkForgeRepos(forge: ForgeClient, repos: readonly string[]): Promise<Outcome> {
  if (repos.length === 0) return { ok: true, detail: 'no repositories enrolled (forge.repos)' };
  const problems = (
    await Promise.all(
      repos.map(async (repo) => {
        try {
          const r = await forge.getRepo(repo);
          if (r.permissions?.push !== true)
            return `${repo}: readable, but the bot may not push to it, so it cannot post commit statuses`;
          return undefined;
        } catch (err) {
          return `${repo}: ${errorMessage(err)}`;
        }
      }),
    )
  ).filter((p): p is string => p !== undefined);
  if (problems.length === 0)
    return {
      ok: true,
      detail:
        `${repos.length} ${repos.length === 1 ? 'repository' : 'repositories'}: ` +
        'readable, and the bot has write access',
    };
  return {
    ok: false,
    detail:
      `${problems.length} of ${repos.length} enrolled repositories ` +
      `${problems.length === 1 ? 'is' : 'are'} not usable:`,
    more: problems,
    fix:
      'give the bot write access to each (a team of the org with "write", or a collaborator) ' +
      `and check forge.repos (${RIGHTS})`,
  };
}

/** forge.repos' orgs: the recipe repositories serve would enrol from each, and those it would leave out. */
export async function checkForgeOrgRepos(
  forge: Pick<ForgeClient, 'listOrgRepos' | 'hasFile'>,
  orgs: readonly string[],
): Promise<Outcome> {
  const more: string[] = [];
  const failed: string[] = [];
  for (const org of orgs) {
    try {
      const { recipes, skipped } = await findOrgRecipes(forge, org);
      const left = skipped.map((s) => `${s.repo} (${s.why})`).join(', ');
      more.push(`${org}: ${recipes.length} recipe repositories` + (left ? `; left out: ${left}` : ''));
      if (recipes.length === 0) failed.push(`${org}: no recipe repository (none with a compose.yml, not archived)`);
    } catch (err) {
      failed.push(`${org}: ${errorMessage(err)}`);
    }
  }
  if (failed.length === 0) return { ok: true, detail: `the recipes of ${orgs.join(', ')} (forge.repos)`, more };
  return {
    ok: false,
    detail: `${failed.length} of ${orgs.length} orgs of forge.repos give no recipe:`,
    more: [...failed, ...more],
    fix: `check the org names in forge.repos and that the bot account may read their repositories (${RIGHTS})`,
  };
}
