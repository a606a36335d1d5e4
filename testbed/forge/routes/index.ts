// The /api/v1 route table. More specific literal paths come first
// (…/issues/comments/{id} before …/issues/{index}/comments).
import type { Route } from '../route.js';
import { branchRoutes } from './branches.js';
import { commentRoutes } from './comments.js';
import { contentRoutes } from './contents.js';
import { hookRoutes } from './hooks.js';
import { issueRoutes } from './issues.js';
import { miscRoutes } from './misc.js';
import { orgRepoRoutes } from './org-repos.js';
import { orgRoutes } from './orgs.js';
import { repoRoutes } from './repos.js';
import { statusRoutes } from './statuses.js';
import { timelineRoutes } from './timeline.js';

export const routes: Route[] = [
  ...miscRoutes,
  ...commentRoutes,
  ...timelineRoutes,
  ...repoRoutes,
  ...issueRoutes,
  ...branchRoutes,
  ...orgRoutes,
  ...orgRepoRoutes,
  ...contentRoutes,
  ...statusRoutes,
  ...hookRoutes,
];
