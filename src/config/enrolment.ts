// The enrolled repositories as a live set: the ones forge.repos lists, and those found in the orgs
// it names (the org discovery of src/trigger/org-discovery.ts fills them in). serve reads it
// wherever it asks "is this repository enrolled" or "which are", so a reload of forge.repos or a
// discovery changes what the poller, the webhook, the sweeps and the pages follow without a
// restart. Names are `owner/name` in lower case, as the config keeps them.

/** `owner/name`, lower case. */
type RepoName = string;

/** What changed in the set: repositories that came in, and those that left. */
export interface EnrolmentChange {
  added: RepoName[];
  removed: RepoName[];
}

/** The read side, for those that only follow the set. */
export interface EnrolledRepos {
  has(repo: RepoName): boolean;
  /** Every enrolled repository: the listed ones in their order, then those found in the orgs. */
  list(): RepoName[];
  /** Called after each change; returns the unsubscribe. */
  onChange(listener: (change: EnrolmentChange) => void): () => void;
}

export class Enrolment implements EnrolledRepos {
  private listed: RepoName[];
  private orgs: string[];
  /** Per org, the recipe repositories its last successful discovery found. */
  private readonly found = new Map<string, RepoName[]>();
  private current: Set<RepoName> | undefined;
  private readonly listeners = new Set<(change: EnrolmentChange) => void>();

  constructor(listed: readonly RepoName[], orgs: readonly string[] = []) {
    this.listed = [...listed];
    this.orgs = [...orgs];
    this.current = this.compute();
  }

  has(repo: RepoName): boolean {
    return this.set().has(repo.toLowerCase());
  }

  list(): RepoName[] {
    return [...this.set()];
  }

  private set(): Set<RepoName> {
    this.current ??= this.compute();
    return this.current;
  }

  /** The orgs whose recipes are enrolled (forge.repos' `{org: …}` items). */
  orgNames(): string[] {
    return [...this.orgs];
  }

  /** The enrolled repository whose name is the recipe (the listed one first), if any. */
  repoOf(recipe: string): RepoName | undefined {
    const byName = (r: RepoName) => r.split('/')[1] === recipe;
    return this.listed.find(byName) ?? this.list().find(byName);
  }

  onChange(listener: (change: EnrolmentChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A reloaded forge.repos: the listed repositories and orgs; an org no longer named loses its recipes. */
  configure(listed: readonly RepoName[], orgs: readonly string[]): EnrolmentChange {
    this.listed = [...listed];
    this.orgs = [...orgs];
    for (const org of [...this.found.keys()]) if (!this.orgs.includes(org)) this.found.delete(org);
    return this.update();
  }

  /** What a discovery of `org` found; ignored for an org forge.repos no longer names. */
  discovered(org: string, repos: readonly RepoName[]): EnrolmentChange {
    if (!this.orgs.includes(org)) return { added: [], removed: [] };
    this.found.set(
      org,
      repos.map((r) => r.toLowerCase()),
    );
    return this.update();
  }

  /** The repositories `org`'s last discovery found (empty before its first). */
  foundIn(org: string): RepoName[] {
    return [...(this.found.get(org) ?? [])];
  }

  private compute(): Set<RepoName> {
    // Until an org's first discovery, its repositories that were enrolled stay (a reload that moves
    // a listed repository into an org it belongs to never drops it in between).
    const before = [...(this.current ?? [])];
    const ofOrg = (o: string) => this.found.get(o) ?? before.filter((r) => r.startsWith(`${o}/`));
    return new Set([...this.listed, ...this.orgs.flatMap(ofOrg)]);
  }

  private update(): EnrolmentChange {
    const before = this.set();
    const next = this.compute();
    const change = {
      added: [...next].filter((r) => !before.has(r)).sort(),
      removed: [...before].filter((r) => !next.has(r)).sort(),
    };
    this.current = next;
    if (change.added.length > 0 || change.removed.length > 0) for (const l of this.listeners) l(change);
    return change;
  }
}
