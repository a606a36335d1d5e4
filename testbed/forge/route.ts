// The shape of a route of the stand-in forge's /api/v1 table: what a handler receives.
import type { IncomingMessage } from 'node:http';
import type { ForgeCore } from './core.js';
import type { Reply } from './reply.js';
import type { UserRec } from './types.js';

export interface ApiCtx {
  core: ForgeCore;
  req: IncomingMessage;
  reply: Reply;
  method: string;
  /** Path (from /api/v1 on) and query as requested, for Link headers. */
  requestUrl: string;
  query: URLSearchParams;
  params: Record<string, string>;
  doer: UserRec | null;
}

export type Handler = (ctx: ApiCtx) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Under /api/v1, with `:name` segments. */
  path: string;
  handler: Handler;
}
