// Two runs of the same recipe at two refs at once: each deploys its own ref, proven by the
// commit abra stamped on the service and by a per-ref marker on the page.
import { describe, expect, it } from 'vitest';
import { commitOnBranch } from '../../testbed/fixtures/make-recipes.js';
import { fixtures, leftovers, runCli } from './helpers.js';

describe('concurrent runs', () => {
  it('runs two refs of one recipe side by side, each deploying its own', async () => {
    const repos = await fixtures(['custom-html']);
    const repo = repos['custom-html']!;
    const shaA = await commitOnBranch(repo, 'pr-a', { 'marker.txt': 'marker-of-branch-a\n' }, 'marker A');
    const shaB = await commitOnBranch(repo, 'pr-b', { 'marker.txt': 'marker-of-branch-b\n' }, 'marker B');
    const [a, b] = await Promise.all(
      ['pr-a', 'pr-b'].map((ref) =>
        runCli(['run', 'custom-html', '--repo', repo.url, '--ref', ref, '--quick', '--json']),
      ),
    );
    for (const [r, sha, mine, other] of [
      [a!, shaA, 'marker-of-branch-a', 'marker-of-branch-b'],
      [b!, shaB, 'marker-of-branch-b', 'marker-of-branch-a'],
    ] as const) {
      expect(r.exitCode, r.stderr).toBe(0);
      const results = r.results!;
      expect(results.headSha).toBe(sha);
      expect(results.apps[0]!.chaosVersion).toBe(sha.slice(0, 8));
      const seen = results.stages[0]!.checks.filter((c) => c.name.startsWith('browser') || c.name.startsWith('health'))
        .map((c) => c.detail)
        .join(' ');
      expect(seen).toContain(mine);
      expect(seen).not.toContain(other);
      expect(await leftovers(results.apps[0]!.stack)).toEqual([]);
    }
    expect(a!.results!.apps[0]!.domain).not.toBe(b!.results!.apps[0]!.domain);
  });
});
