// What many handlers share: repoAssignment (owner → repo → access, each missing step a 404),
// reqToken (401 "token is required"), path integers (ctx.PathParamInt64: 0 when not a number),
// form binding (422) and the `since`/`before` query (context.GetQueryBeforeSince: RFC 3339,
// compared in whole seconds; a bad value is 422).
import { atLeast, repoAccess } from '../access.js';
import type { ApiCtx } from '../route.js';
import { bind, readBody } from '../body.js';
import type { AccessMode, RepoRec, UserRec } from '../types.js';

export interface RepoCtx {
  repo: RepoRec;
  mode: AccessMode;
}

export function loadRepo(ctx: ApiCtx): RepoCtx | undefined {
  const { store } = ctx.core;
  const owner = ctx.params.owner ?? '';
  if (!store.userByLogin(owner) && !store.orgByName(owner)) {
    ctx.reply.notFound('GetUserByName', [`user redirect does not exist [name: ${owner}]`]);
    return undefined;
  }
  const repo = store.repoByName(owner, ctx.params.repo ?? '');
  const mode = repo ? repoAccess(store, repo, ctx.doer) : 'none';
  if (!repo || mode === 'none') {
    ctx.reply.notFound();
    return undefined;
  }
  return { repo, mode };
}

export function needToken(ctx: ApiCtx): ctx is ApiCtx & { doer: UserRec } {
  if (ctx.doer) return true;
  ctx.reply.error(401, 'token is required');
  return false;
}

/** reqRepoWriter(unit.TypeCode): 403 with Gitea's message. */
export function needWriter(ctx: ApiCtx, rc: RepoCtx): boolean {
  if (atLeast(rc.mode, 'write')) return true;
  ctx.reply.error(403, 'user should have a permission to write to a repo');
  return false;
}

/** reqAdmin: repository admin or owner (or site admin). */
export function needRepoAdmin(ctx: ApiCtx, rc: RepoCtx): boolean {
  if (atLeast(rc.mode, 'admin')) return true;
  ctx.reply.error(403, 'user should be an owner or a collaborator with admin write of a repository');
  return false;
}

export function pathInt(ctx: ApiCtx, name: string): number {
  const v = ctx.params[name] ?? '';
  return /^[+-]?\d+$/.test(v) ? Number(v) : 0;
}

export async function formOf(
  ctx: ApiCtx,
  required: Record<string, string> = {},
): Promise<Record<string, unknown> | undefined> {
  const raw = await readBody(ctx.req);
  const bound = bind(raw, ctx.req.headers['content-type'], required);
  if (!bound.ok) {
    ctx.reply.error(422, bound.message);
    return undefined;
  }
  return bound.value;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseFormTime(ctx: ApiCtx, name: string): number | string {
  const value = (ctx.query.get(name) ?? '').trim();
  if (value === '') return 0;
  const ms = RFC3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    return (
      `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": ` +
      `cannot parse ${JSON.stringify(value)} as "2006"`
    );
  if (value.startsWith('0001-01-01T00:00:00')) return 0;
  return Math.floor(ms / 1000);
}

/** {before, since} in Unix seconds (0: not given), or undefined after a 422. */
export function beforeSince(ctx: ApiCtx): { before: number; since: number } | undefined {
  const before = parseFormTime(ctx, 'before');
  const since = parseFormTime(ctx, 'since');
  for (const v of [before, since]) {
    if (typeof v === 'string') {
      ctx.reply.error(422, v);
      return undefined;
    }
  }
  return { before: before as number, since: since as number };
}
