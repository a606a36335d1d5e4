// Image retention's rule: which images `cc-ci store prune` removes, from the facts Docker gives.
import { describe, expect, it } from 'vitest';
import {
  familiar,
  imagesToPrune,
  matches,
  parseReference,
  type ImageFact,
  type ImagePolicy,
  type ImageUse,
} from '../../../src/model/image-retention.js';

const HOUR = 3_600_000;
const now = Date.parse('2026-12-07T12:00:00Z');
const policy: ImagePolicy = { olderThan: 24 * HOUR, keep: [], keepUnpulled: true };
const noUse: ImageUse = { containerImages: new Set(), serviceImages: [], usedByRuns: [] };

/** A pulled image (it has a repo digest), built long ago. */
function pulled(tag: string, digest: string, over: Partial<ImageFact> = {}): ImageFact {
  return {
    id: `sha256:${digest}id`,
    tags: [tag],
    digests: [`${tag.slice(0, tag.lastIndexOf(':'))}@sha256:${digest}`],
    created: now - 400 * 24 * HOUR,
    size: 1000,
    ...over,
  };
}

const ids = (images: ImageFact[]) => images.map((i) => i.tags[0] ?? i.id);

describe('which images go', () => {
  it('an old pulled image nothing uses goes; one a container or a service uses stays', () => {
    const unused = pulled('nginx:1.25', 'aaa');
    const byContainer = pulled('redis:7', 'bbb');
    const byService = pulled('postgres:16', 'ccc');
    const byPinnedService = pulled('mariadb:11', 'ddd');
    const use: ImageUse = {
      ...noUse,
      // A stopped container counts as much as a running one.
      containerImages: new Set([byContainer.id]),
      serviceImages: ['postgres:16', 'docker.io/library/mariadb:11@sha256:ddd'],
    };
    const verdict = imagesToPrune([unused, byContainer, byService, byPinnedService], use, now, policy);
    expect(ids(verdict.prune)).toEqual(['nginx:1.25']);
    expect(verdict.kept.map((k) => [k.image.tags[0], k.because])).toEqual([
      ['redis:7', 'container'],
      ['postgres:16', 'service'],
      ['mariadb:11', 'service'],
    ]);
  });

  it('a service pinned to another digest does not keep what its tag points to now', () => {
    const newer = pulled('nginx:1.27', 'new');
    const verdict = imagesToPrune([newer], { ...noUse, serviceImages: ['nginx:1.27@sha256:old'] }, now, policy);
    expect(ids(verdict.prune)).toEqual(['nginx:1.27']);
  });

  it('an image built within olderThan stays, and so does one a run used within it', () => {
    const young = pulled('nginx:1.27', 'young', { created: now - 2 * HOUR });
    const usedByRun = pulled('postgres:15', 'run');
    const usedByRunById = { ...pulled('ccci/app:1', 'local'), digests: [] };
    const usedLongAgo = pulled('redis:6', 'old');
    const use: ImageUse = {
      ...noUse,
      usedByRuns: [
        // What results.json records: the reference without digest, and the repo digest or the image id.
        { image: 'postgres:15', digest: 'sha256:run', at: now - 3 * HOUR },
        { image: 'ccci/app:1', digest: usedByRunById.id, at: now - 3 * HOUR },
        { image: 'redis:6', digest: 'sha256:old', at: now - 30 * HOUR },
      ],
    };
    const verdict = imagesToPrune([young, usedByRun, usedByRunById, usedLongAgo], use, now, {
      ...policy,
      keepUnpulled: false,
    });
    expect(ids(verdict.prune)).toEqual(['redis:6']);
    expect(verdict.kept.map((k) => k.because)).toEqual(['young', 'recent-run', 'recent-run']);
  });

  it('an image that never came from a registry stays, unless keepUnpulled is off', () => {
    // As the testbed builds them: tags, no RepoDigests.
    const built = { ...pulled('nginx:1.27.2', 'tb'), digests: [] };
    const dangling = { ...pulled('x:1', 'dg'), tags: [], digests: [] };
    expect(imagesToPrune([built, dangling], noUse, now, policy).kept.map((k) => k.because)).toEqual([
      'unpulled',
      'unpulled',
    ]);
    expect(imagesToPrune([built, dangling], noUse, now, { ...policy, keepUnpulled: false }).prune).toHaveLength(2);
  });

  it('keep patterns keep whatever they name, by tag or by digest, in either spelling', () => {
    const ours = pulled('registry.example.org/ops/tool:3', 'ours');
    const untaggedNginx = { ...pulled('nginx:1.25', 'nx'), tags: [] };
    const other = pulled('redis:7', 'other');
    const verdict = imagesToPrune([ours, untaggedNginx, other], noUse, now, {
      ...policy,
      keep: ['registry.example.org/*', 'docker.io/library/nginx*'],
    });
    expect(ids(verdict.prune)).toEqual(['redis:7']);
    expect(verdict.kept.map((k) => k.because)).toEqual(['keep-pattern', 'keep-pattern']);
  });
});

describe('image references', () => {
  it('are read the way Docker writes them', () => {
    expect(parseReference('nginx')).toEqual({ repository: 'nginx', tagged: 'nginx:latest', digest: undefined });
    expect(parseReference('docker.io/library/nginx:1.27@sha256:abc')).toEqual({
      repository: 'nginx',
      tagged: 'nginx:1.27',
      digest: 'sha256:abc',
    });
    expect(parseReference('127.0.0.1:5000/app@sha256:abc')).toEqual({
      repository: '127.0.0.1:5000/app',
      digest: 'sha256:abc',
    });
    expect(parseReference('127.0.0.1:5000/app').tagged).toBe('127.0.0.1:5000/app:latest');
    expect(familiar('index.docker.io/library/redis:7')).toBe('redis:7');
    expect(familiar('docker.io/bitnami/redis:7')).toBe('bitnami/redis:7');
  });
  it('patterns: * is any run of characters, the rest is literal', () => {
    expect(matches('nginx:*', 'nginx:1.27')).toBe(true);
    expect(matches('nginx:*', 'nginxx:1.27')).toBe(false);
    expect(matches('a.b/*', 'axb/c:1')).toBe(false);
  });
});
