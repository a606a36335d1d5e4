// Recipe versions `<semver>+<upstream>` (A.3): release tags without a `v` prefix.

export interface Version {
  raw: string;
  main: number[];
  upstream: string;
}

/** Parse `1.2.3+1.27.2` (also `1.2.3`, a leading `v`); undefined for anything else. */
export function parseVersion(raw: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:\+(.+))?$/.exec(raw.trim());
  if (!m) return undefined;
  return { raw, main: [Number(m[1]), Number(m[2]), Number(m[3])], upstream: m[4] ?? '' };
}

/** Compare dot-separated upstream versions segment by segment, numerically where possible. */
function compareUpstream(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = x !== '' && y !== '' && !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i += 1) {
    const c = (a.main[i] ?? 0) - (b.main[i] ?? 0);
    if (c !== 0) return Math.sign(c);
  }
  return compareUpstream(a.upstream, b.upstream);
}

/** Release versions among tags, oldest first. */
export function sortedVersions(tags: string[]): Version[] {
  return tags
    .map(parseVersion)
    .filter((v): v is Version => v !== undefined)
    .sort(compareVersions);
}

export function newest(tags: string[]): string | undefined {
  const all = sortedVersions(tags);
  return all[all.length - 1]?.raw;
}
