// Image retention (`retention.images`): which Docker images `cc-ci store prune` removes. Pure: the
// facts Docker gives (the images, what containers and services use) and what recent runs used in,
// the images to remove and why each other stays out; src/docker/images.ts reads and removes.
//
// An image goes only when nothing could need it soon and it can come back: no container (running
// or stopped) and no service uses it, it is older than `olderThan` and no run of the store used it
// within that time, no `keep` pattern names it, and, unless asked otherwise, it came from a registry
// (RepoDigests), so the next deploy that needs it pulls it again. An image built on this host (the
// testbed's, an operator's own) has no registry to come back from and stays.

export interface ImagePolicy {
  /** Images built, or used by a run, within this many ms stay. */
  olderThan: number;
  /** References kept whatever: `*` matches any run of characters (`nginx:*`, `registry.example.org/*`). */
  keep: readonly string[];
  /** Images without RepoDigests (never pulled) stay. */
  keepUnpulled: boolean;
}

/** One image as the Engine lists it. */
export interface ImageFact {
  /** `sha256:…` */
  id: string;
  /** `nginx:1.27.2`; empty for a dangling image. */
  tags: readonly string[];
  /** `nginx@sha256:…`: one per registry repository it was pulled from (or pushed to); empty when never. */
  digests: readonly string[];
  /** When the image was built (ms since the epoch): Docker records no pull or last-use time. */
  created: number;
  /** Bytes, layers shared with other images included. */
  size: number;
}

/** What uses images now, and what runs used lately. */
export interface ImageUse {
  /** Image ids of every container, running or stopped. */
  containerImages: ReadonlySet<string>;
  /** The image of every service's spec, as written there (`nginx:1.27.2@sha256:…`). */
  serviceImages: readonly string[];
  /** Images the runs of the store used, with when each run ended (ms): a reference, a digest or an image id. */
  usedByRuns: ReadonlyArray<{ image: string; digest?: string; at: number }>;
}

export type KeptBecause = 'container' | 'service' | 'young' | 'recent-run' | 'keep-pattern' | 'unpulled';

export interface ImageVerdict {
  prune: ImageFact[];
  kept: Array<{ image: ImageFact; because: KeptBecause }>;
}

/** Each image either goes or stays with its reason; the reasons are tried in the order of KeptBecause. */
export function imagesToPrune(
  images: readonly ImageFact[],
  use: ImageUse,
  now: number,
  policy: ImagePolicy,
): ImageVerdict {
  const cutoff = now - policy.olderThan;
  const services = use.serviceImages.map(parseReference);
  const recent = use.usedByRuns.filter((u) => u.at >= cutoff);
  const verdict: ImageVerdict = { prune: [], kept: [] };
  for (const image of images) {
    const because = keptBecause(image);
    if (because) verdict.kept.push({ image, because });
    else verdict.prune.push(image);
  }
  return verdict;

  function keptBecause(image: ImageFact): KeptBecause | undefined {
    if (use.containerImages.has(image.id)) return 'container';
    if (services.some((ref) => names(image, ref))) return 'service';
    if (image.created >= cutoff) return 'young';
    if (recent.some((u) => u.digest === image.id || names(image, parseReference(u.image), u.digest))) {
      return 'recent-run';
    }
    const refs = [...image.tags, ...image.digests];
    if (policy.keep.some((pattern) => refs.some((ref) => matches(pattern, ref)))) return 'keep-pattern';
    if (policy.keepUnpulled && image.digests.length === 0) return 'unpulled';
    return undefined;
  }
}

interface Reference {
  /** Familiar repository and tag (`nginx:1.27.2`), when the reference has a tag. */
  tagged?: string;
  /** Repository (familiar) and digest, when pinned. */
  repository: string;
  digest?: string;
}

/** Whether the image is the one a reference (and, from a run, its recorded digest) names. */
function names(image: ImageFact, ref: Reference, digest = ref.digest): boolean {
  if (digest && image.digests.some((d) => digestOf(d) === digest)) return true;
  // A pinned reference names the digest, not whatever the tag points to now.
  if (ref.digest) return false;
  return ref.tagged !== undefined && image.tags.some((t) => familiar(t) === ref.tagged);
}

/** `docker.io/library/nginx:1.27@sha256:…` → nginx:1.27 and its digest. */
export function parseReference(text: string): Reference {
  const at = text.indexOf('@');
  const name = at >= 0 ? text.slice(0, at) : text;
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  // A colon after the last slash starts the tag (one before it is a registry's port).
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  const repository = familiar(hasTag ? name.slice(0, colon) : name);
  const tag = hasTag ? name.slice(colon + 1) : digest ? undefined : 'latest';
  return { repository, digest, ...(tag ? { tagged: `${repository}:${tag}` } : {}) };
}

/** Docker Hub's long forms written as the CLI shows them: `docker.io/library/nginx` → `nginx`. */
export function familiar(name: string): string {
  return name.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
}

function digestOf(repoDigest: string): string {
  return repoDigest.slice(repoDigest.indexOf('@') + 1);
}

/** `*` matches any run of characters, everything else itself; both sides in their familiar form. */
export function matches(pattern: string, text: string): boolean {
  const re = familiar(pattern)
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`).test(familiar(text));
}
