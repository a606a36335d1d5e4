// --seed demo: what the demo needs. Org coop-cloud with `maintainer` (private membership) and
// the bot `cc-ci-bot` (member, so its membership checks get 204/404 and it may post statuses);
// `outsider`, who is in no org; the fixture custom-html as coop-cloud/custom-html; an open PR #1
// by maintainer from branch pr-1, whose commit changes marker.txt (commitOnBranch also bumps
// MARKER_VERSION in abra.sh, so the head deploys over the release).
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
