// Org membership, routers/api/v1/org/member.go (IsMember, IsPublicMember) behind
// orgAssignment (unknown org → 404) and, for /members/{u}, reqToken (anonymous → 401):
// - the asker is a member (or site admin): 204 if the user is a member, else 404;
// - the asker is not a member and asks about themself: 404;
// - otherwise: 303 to /api/v1/orgs/{org}/public_members/{user}, which answers 204 only for a
//   *public* member — so a client that follows redirects sees a private member as 404.
import type { ApiCtx, Route } from '../route.js';
import type { OrgRec, UserRec } from '../types.js';
import { needToken } from './common.js';

function orgOf(ctx: ApiCtx): OrgRec | undefined {
  const org = ctx.core.store.orgByName(ctx.params.org ?? '');
  if (!org) ctx.reply.notFound('GetOrgByName', [`org does not exist [id: 0, name: ${ctx.params.org ?? ''}]`]);
  return org;
}

function userParam(ctx: ApiCtx): UserRec | undefined {
  const name = ctx.params.username ?? '';
  const user = ctx.core.store.userByLogin(name);
  if (!user) ctx.reply.notFound('GetUserByName', [`user redirect does not exist [name: ${name}]`]);
  return user;
}

export const orgRoutes: Route[] = [
  {
    method: 'GET',
    path: '/orgs/:org/members/:username',
    handler: (ctx) => {
      const org = orgOf(ctx);
      if (!org || !needToken(ctx)) return;
      const target = userParam(ctx);
      if (!target) return;
      if (org.members.has(ctx.doer.id) || ctx.doer.isAdmin) {
        return org.members.has(target.id) ? ctx.reply.empty(204) : ctx.reply.notFound();
      }
      if (ctx.doer.id === target.id) return ctx.reply.notFound();
      ctx.reply.redirect(
        `/api/v1/orgs/${encodeURIComponent(org.name)}/public_members/${encodeURIComponent(target.login)}`,
        ctx.method,
      );
    },
  },
  {
    method: 'GET',
    path: '/orgs/:org/public_members/:username',
    handler: (ctx) => {
      const org = orgOf(ctx);
      if (!org) return;
      const target = userParam(ctx);
      if (!target) return;
      return org.members.get(target.id)?.public ? ctx.reply.empty(204) : ctx.reply.notFound();
    },
  },
];
