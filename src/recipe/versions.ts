// Release versions of a recipe (`1.2.0+1.27.2`, git tags without a `v`) and the choice of the
// upgrade base (DESIGN §4.2): the newest release below the head's version, or a pinned one.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export function semverOf(version: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const x = semverOf(a) ?? [0, 0, 0];
  const y = semverOf(b) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The version the recipe's compose files declare in the `coop-cloud.${STACK_NAME}.version` label. */
export function declaredVersion(recipeDir: string, files: string[]): string | undefined {
  for (const file of files) {
    const path = join(recipeDir, file);
    // COMPOSE_FILE may come from the recipe's own spec (a PR): never a file outside the checkout.
    if (file.includes('..') || !existsSync(path)) continue;
    const m = /coop-cloud\.\$\{STACK_NAME\}\.version[=:]\s*["']?([0-9][^"'\s]*)/.exec(readFileSync(path, 'utf8'));
    if (m?.[1]) return m[1];
  }
  return undefined;
}

export type BasePlan = { base: string } | { na: string } | { fail: string };

export function planUpgradeBase(from: string, headVersion: string | undefined, tags: string[]): BasePlan {
  if (from !== 'previous') {
    if (tags.includes(from)) return { base: from };
    const known = tags.join(', ') || 'none';
    return { fail: `the spec's upgrade.from ${from} is not a release tag of the recipe (tags: ${known})` };
  }
  if (!headVersion)
    return { na: 'the head declares no coop-cloud.${STACK_NAME}.version label, so there is no version to upgrade to' };
  const below = tags.filter((t) => compareVersions(t, headVersion) < 0).sort(compareVersions);
  const base = below[below.length - 1];
  return base ? { base } : { na: `no release tag below the head's version ${headVersion}: nothing to upgrade from` };
}
