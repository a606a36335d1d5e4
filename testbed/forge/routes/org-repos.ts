// An org's repositories, routers/api/v1/user/repo.go ListOrgRepos → listUserRepos: the org's
// repositories oldest first (`id ASC`), private ones only for a signed-in asker, paged by
// utils.GetListOptions; of a page, only those the asker may read (or every one for a site admin)
// are sent, while X-Total-Count and Link count the page's repositories before that filter.
// An unknown org is a 404 (orgAssignment).
import { repoAccess } from '../access.js';
import { listOptions, pageOf, setLinkHeader, setTotalCount } from '../paging.js';
import type { Route } from '../route.js';
import { toRepo } from '../to-repo.js';

export const orgRepoRoutes: Route[] = [
  {
    method: 'GET',
    path: '/orgs/:org/repos',
    handler: (ctx) => {
      const { store } = ctx.core;
      const org = store.orgByName(ctx.params.org ?? '');
      if (!org)
        return ctx.reply.notFound('GetOrgByName', [`org does not exist [id: 0, name: ${ctx.params.org ?? ''}]`]);
      const signedIn = ctx.doer !== null;
      const all = [...store.repos.values()]
        .filter((r) => r.ownerIsOrg && r.ownerId === org.id && (signedIn || !r.private))
        .sort((a, b) => a.id - b.id);
      const opts = listOptions(ctx.query);
      const body = pageOf(all, opts)
        .map((repo) => ({ repo, mode: repoAccess(store, repo, ctx.doer) }))
        .filter(({ mode }) => ctx.doer?.isAdmin || mode !== 'none')
        .map(({ repo, mode }) => toRepo(ctx.core, repo, mode));
      setLinkHeader(ctx.reply, ctx.core.appUrl, ctx.requestUrl, all.length, opts);
      setTotalCount(ctx.reply, all.length);
      ctx.reply.json(200, body);
    },
  },
];
