// --seed demo: what the demo needs. Org coop-cloud with `maintainer` (private membership) and
// the bot `cc-ci-bot` (member, so its membership checks get 204/404 and it may post statuses);
// `outsider`, who is in no org; the fixture custom-html as coop-cloud/custom-html; an open PR #1
// by maintainer from branch pr-1, whose commit changes marker.txt (commitOnBranch also bumps
// MARKER_VERSION in abra.sh, so the head deploys over the release).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recipesDir } from '../fixtures/make-recipes.js';
import type { ForgeControl } from './control.js';

export const DEMO_REPO = 'coop-cloud/custom-html';

export interface SeedResult {
  tokens: Record<string, string>;
  repos: string[];
}

export async function seedDemo(control: ForgeControl): Promise<SeedResult> {
  control.createUser({ login: 'maintainer', fullName: 'Recipe Maintainer' });
  control.createUser({ login: 'outsider', fullName: 'Passer-by' });
  control.createUser({ login: 'cc-ci-bot', fullName: 'cc-ci' });
  control.createOrg({
    name: 'coop-cloud',
    fullName: 'Co-op Cloud',
    members: [
      { login: 'maintainer', public: false, role: 'write' },
      { login: 'cc-ci-bot', public: false, role: 'write' },
    ],
  });
  await control.importFixture('custom-html', { owner: 'coop-cloud', description: 'Static site (fixture)' });
  await control.commitOnBranch(DEMO_REPO, 'pr-1', { 'marker.txt': 'marker-pr-1\n' }, 'Change the marker');
  await control.createPullRequest({
    repo: DEMO_REPO,
    head: 'pr-1',
    title: 'Change the marker',
    body: 'Changes marker.txt; comment `!testme` to run cc-ci.',
    author: 'maintainer',
  });
  return { tokens: control.tokens(), repos: control.repos() };
}

/**
 * A second PR, by maintainer, whose upgrade loses data: 1.2.0 moves the site to a new volume, so
 * what the previous release kept is gone after the upgrade (the demo's `--pr broken`, and the
 * product test). Returns the PR number and head commit.
 */
export async function openBrokenPr(control: ForgeControl): Promise<{ number: number; sha: string }> {
  const compose = readFileSync(join(recipesDir(), 'custom-html', '1.1.0+1.27.2', 'compose.yml'), 'utf8');
  const broken = compose
    .replace('content:/usr/share/nginx/html', 'content_v2:/usr/share/nginx/html')
    .replace(/\nvolumes:\n {2}content:\n/, '\nvolumes:\n  content_v2:\n')
    .replace('version=1.1.0+1.27.2', 'version=1.2.0+1.27.2');
  if (!broken.includes('content_v2:') || !broken.includes('version=1.2.0+1.27.2'))
    throw new Error('the custom-html fixture changed: openBrokenPr no longer applies');
  const sha = await control.commitOnBranch(
    DEMO_REPO,
    'new-volume',
    { 'compose.yml': broken },
    'Release 1.2.0: keep the site on a new volume',
  );
  const pull = await control.createPullRequest({
    repo: DEMO_REPO,
    head: 'new-volume',
    title: 'Release 1.2.0: keep the site on a new volume',
    body:
      'Moves the site content to a new volume. ' +
      '(Its upgrade loses the data of the previous release: cc-ci should say so.)',
    author: 'maintainer',
  });
  return { number: pull.number!, sha };
}
