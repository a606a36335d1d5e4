// Org discovery (forge.repos `{org: …}`): the org's repositories that are recipes — not archived,
// not empty, with a compose.yml at the root of the default branch — read through the forge at
// start, every hour, and when asked (serve's SIGHUP or a changed config). A listing that fails
// keeps the org's last known recipes (one bad answer never drops every repository) and is tried
// again sooner, with a warning that says what to do. What it finds goes into the live enrolment.
import type { Enrolment } from '../config/enrolment.js';
import type { ForgeClient, RepoName } from '../forge/types.js';
import type { Logger } from '../log/create-logger.js';
import { errorMessage } from '../model/errors.js';
import { systemClock, type Clock, type Timer } from '../model/clock.js';

/** The file whose presence at a repository's root makes it a recipe (abra's own rule). */
export const RECIPE_FILE = 'compose.yml';
export const DISCOVERY_INTERVAL_MS = 3_600_000;
/** After a failed listing, the next try comes this much sooner than the hour. */
export const DISCOVERY_RETRY_MS = 300_000;

/** Why a repository of the org is not enrolled. */
export type Skipped = 'archived' | 'empty' | `no ${typeof RECIPE_FILE}`;

/** The org's recipe repositories (`owner/name`, lower case, sorted) and those left out with why. */
export async function findOrgRecipes(
  forge: Pick<ForgeClient, 'listOrgRepos' | 'hasFile'>,
  org: string,
): Promise<{ recipes: RepoName[]; skipped: Array<{ repo: RepoName; why: Skipped }> }> {
  const recipes: RepoName[] = [];
  const skipped: Array<{ repo: RepoName; why: Skipped }> = [];
  for (const r of await forge.listOrgRepos(org)) {
    const repo = (r.full_name ?? `${org}/${r.name ?? ''}`).toLowerCase();
    if (r.archived) skipped.push({ repo, why: 'archived' });
    else if (r.empty) skipped.push({ repo, why: 'empty' });
    else if (!(await forge.hasFile(repo, RECIPE_FILE))) skipped.push({ repo, why: `no ${RECIPE_FILE}` });
    else recipes.push(repo);
  }
  return { recipes: recipes.sort(), skipped };
}

export interface OrgDiscoveryDeps {
  forge: Pick<ForgeClient, 'listOrgRepos' | 'hasFile'>;
  enrolment: Enrolment;
  log: Logger;
  clock?: Clock;
  intervalMs?: number;
  retryMs?: number;
}

export class OrgDiscovery {
  private readonly clock: Clock;
  private timer: Timer | undefined;
  private stopped = true;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly deps: OrgDiscoveryDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Discovers now and then every hour; resolves once the first pass is done (found or failed). */
  start(): Promise<void> {
    this.stopped = false;
    return this.refresh();
  }

  /** One pass over every org forge.repos names now (SIGHUP, a changed config); the next hourly one follows it. */
  refresh(): Promise<void> {
    this.running = this.running.then(() => this.pass());
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    this.timer?.cancel();
    let failed = false;
    for (const org of this.deps.enrolment.orgNames()) failed = !(await this.discover(org)) || failed;
    if (this.stopped) return;
    const wait = failed ? (this.deps.retryMs ?? DISCOVERY_RETRY_MS) : (this.deps.intervalMs ?? DISCOVERY_INTERVAL_MS);
    this.timer = this.clock.after(wait, () => void this.refresh());
  }

  /** Discovers one org; false when the forge did not answer (its last set stays). */
  private async discover(org: string): Promise<boolean> {
    const { enrolment, log } = this.deps;
    try {
      const { recipes, skipped } = await findOrgRecipes(this.deps.forge, org);
      const change = enrolment.discovered(org, recipes);
      const left = skipped.map((s) => `${s.repo} (${s.why})`).join(', ');
      log.info(
        { org, recipes, skipped, added: change.added, removed: change.removed },
        `org ${org}: ${recipes.length} recipe repositories enrolled` +
          (change.added.length ? `; new: ${change.added.join(', ')}` : '') +
          (change.removed.length ? `; no longer: ${change.removed.join(', ')}` : '') +
          (left ? `; left out: ${left}` : ''),
      );
      return true;
    } catch (err) {
      const kept = enrolment.foundIn(org);
      const retryS = Math.round((this.deps.retryMs ?? DISCOVERY_RETRY_MS) / 1000);
      log.warn(
        { org, kept: kept.length },
        `listing the recipe repositories of org ${org} failed (${errorMessage(err)}); ` +
          `keeping the ${kept.length} found before and trying again in ${retryS} s — check forge.url, ` +
          `that the org ${org} exists and that the bot account may read it (docs/enroll-recipe.md); ` +
          'kill -HUP the server to try at once',
      );
      return false;
    }
  }
}
