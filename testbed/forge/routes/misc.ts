// GET /version (public) and GET /user (reqToken; the caller sees their own admin fields).
// routers/api/v1/misc/version.go, user/user.go GetAuthenticatedUser.
import type { Route } from '../route.js';
import { toUser } from '../to-user.js';
import { needToken } from './common.js';

export const miscRoutes: Route[] = [
  {
    method: 'GET',
    path: '/version',
    handler: (ctx) => ctx.reply.json(200, { version: ctx.core.version }),
  },
  {
    method: 'GET',
    path: '/user',
    handler: (ctx) => {
      if (!needToken(ctx)) return;
      ctx.reply.json(200, toUser(ctx.core, ctx.doer, ctx.doer));
    },
  },
];
