// Repository webhooks, routers/api/v1/repo/hook.go + utils/hook.go (Gitea 1.2x), behind
// reqToken + reqAdmin (403 for non-admins of the repository).
// - POST: `type` and `config` required (422 "[Type]: Required"); type must be a known hook
//   type (422 "Invalid hook type: x"); config needs `url` and `content_type` (422 "Missing
//   config option: url") with content_type json|form (422 "Invalid content type"); `events`
//   defaults to ["push"]; **`active` defaults to false** (a Go bool); `issues` implies every
//   issue_* event and `pull_request` every pull_request_* event; 201 with the hook — its config
//   echoes url and content_type, never the secret.
// - GET (list, X-Total-Count, paginated), DELETE /hooks/{id} (204, or 404).
import type { Hook } from 'gitea-js';
import type { Route } from '../route.js';
import { str } from '../body.js';
import type { ForgeCore } from '../core.js';
import { goTime } from '../gojson.js';
import { listOptions, pageOf, setTotalCount } from '../paging.js';
import type { HookRec } from '../types.js';
import type { Wire } from '../wire.js';
import { formOf, loadRepo, needRepoAdmin, needToken, pathInt } from './common.js';

const HOOK_TYPES = new Set([
  'dingtalk',
  'discord',
  'gitea',
  'gogs',
  'msteams',
  'slack',
  'telegram',
  'feishu',
  'matrix',
  'wechatwork',
  'packagist',
  'forgejo',
]);

/** The events a hook reports (Webhook.EventsArray order — a guess), from the events asked for. */
export function expandEvents(asked: string[]): string[] {
  const has = (e: string) => asked.some((a) => a.toLowerCase() === e);
  const issues = (e: string) => has(e) || has('issues');
  const pulls = (e: string) => has(e) || has('pull_request');
  const review = pulls('pull_request_review');
  const flags: [string, boolean][] = [
    ['create', has('create')],
    ['delete', has('delete')],
    ['fork', has('fork')],
    ['push', has('push')],
    ['issues', issues('issues_only')],
    ['issue_assign', issues('issue_assign')],
    ['issue_label', issues('issue_label')],
    ['issue_milestone', issues('issue_milestone')],
    ['issue_comment', issues('issue_comment')],
    ['pull_request', pulls('pull_request_only')],
    ['pull_request_assign', pulls('pull_request_assign')],
    ['pull_request_label', pulls('pull_request_label')],
    ['pull_request_milestone', pulls('pull_request_milestone')],
    ['pull_request_comment', pulls('pull_request_comment')],
    ['pull_request_review_approved', review],
    ['pull_request_review_rejected', review],
    ['pull_request_review_comment', review],
    ['pull_request_sync', pulls('pull_request_sync')],
    ['pull_request_review_request', pulls('pull_request_review_request')],
    ['wiki', has('wiki')],
    ['repository', has('repository')],
    ['release', has('release')],
  ];
  return flags.filter(([, on]) => on).map(([name]) => name);
}

export function toHook(h: HookRec): Wire<Hook> {
  return {
    id: h.id,
    type: h.type,
    branch_filter: h.branchFilter,
    config: { url: h.url, content_type: h.contentType },
    events: h.events,
    authorization_header: h.authorizationHeader,
    active: h.active,
    updated_at: goTime(h.updatedUnix),
    created_at: goTime(h.createdUnix),
  };
}

export interface NewHook {
  type: string;
  config: Record<string, string>;
  events?: string[];
  active?: boolean;
  branch_filter?: string;
  authorization_header?: string;
}

/** Validate and store a hook as addHook does; returns the hook or [status, message]. */
export function addHook(core: ForgeCore, repoId: number, form: NewHook): HookRec | [number, string] {
  if (!HOOK_TYPES.has(form.type)) return [422, `Invalid hook type: ${form.type}`];
  for (const name of ['url', 'content_type']) {
    if (!(name in form.config)) return [422, `Missing config option: ${name}`];
  }
  const contentType = form.config.content_type;
  if (contentType !== 'json' && contentType !== 'form') return [422, 'Invalid content type'];
  const now = core.store.clock.unix();
  const hook: HookRec = {
    id: core.store.nextId('hook'),
    repoId,
    type: form.type,
    url: form.config.url ?? '',
    contentType,
    secret: form.config.secret ?? '',
    events: expandEvents(form.events && form.events.length > 0 ? form.events : ['push']),
    active: form.active === true,
    branchFilter: form.branch_filter ?? '',
    authorizationHeader: form.authorization_header ?? '',
    createdUnix: now,
    updatedUnix: now,
  };
  core.store.hooks.set(hook.id, hook);
  return hook;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object')
    for (const [k, val] of Object.entries(v)) out[k] = typeof val === 'string' ? val : String(val);
  return out;
}

export const hookRoutes: Route[] = [
  {
    method: 'GET',
    path: '/repos/:owner/:repo/hooks',
    handler: (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc || !needToken(ctx) || !needRepoAdmin(ctx, rc)) return;
      const all = ctx.core.store.hooksOf(rc.repo.id);
      setTotalCount(ctx.reply, all.length);
      ctx.reply.json(200, pageOf(all, listOptions(ctx.query)).map(toHook));
    },
  },
  {
    method: 'POST',
    path: '/repos/:owner/:repo/hooks',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc || !needToken(ctx) || !needRepoAdmin(ctx, rc)) return;
      const form = await formOf(ctx, { type: 'Type', config: 'Config' });
      if (!form) return;
      const result = addHook(ctx.core, rc.repo.id, {
        type: str(form.type),
        config: stringMap(form.config),
        events: Array.isArray(form.events) ? form.events.map(String) : [],
        active: form.active === true,
        branch_filter: str(form.branch_filter),
        authorization_header: str(form.authorization_header),
      });
      if (Array.isArray(result)) return ctx.reply.error(result[0], result[1]);
      ctx.reply.json(201, toHook(result));
    },
  },
  {
    method: 'DELETE',
    path: '/repos/:owner/:repo/hooks/:id',
    handler: (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc || !needToken(ctx) || !needRepoAdmin(ctx, rc)) return;
      const hook = ctx.core.store.hooks.get(pathInt(ctx, 'id'));
      if (!hook || hook.repoId !== rc.repo.id) return ctx.reply.notFound();
      ctx.core.store.hooks.delete(hook.id);
      ctx.reply.empty(204);
    },
  },
];
