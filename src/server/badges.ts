// Status badges (DESIGN §3.7): `GET /badge/:recipe.svg` rendered by badge-maker, and
// `GET /badge/:recipe.json` in the shields.io endpoint format. A badge follows the recipe's badge
// run (the latest finished run that tested a branch, not a PR). Badges are fetched far more often
// than runs finish (README images, shields.io), so (DESIGN §7: >= 5 000 req/s):
// - each recipe keeps its last rendering in memory, keyed by what the badge shows (badge run id,
//   verdict, level); a new badge run replaces it;
// - the store lookup behind it (about 80 µs) is remembered per recipe until a change of one of
//   the recipe's runs is reported (runs.onChange: every finish is), and at most LOOKUP_TTL_MS
//   in case the store was changed by someone who does not report (crash recovery at start).
// ETag and `Cache-Control: no-cache` let shields.io and GitHub's camo revalidate cheaply instead
// of caching a stale badge.
import { makeBadge } from 'badge-maker';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunRecord } from '../model/run.js';
import type { StageResult } from '../model/stage.js';
import { naNote } from '../report/verdict.js';
import { validateRecipeName } from '../validate/input.js';
import { readResults } from '../model/run-folder.js';
import type { ServerDeps } from './server-deps.js';

export const BADGE_LABEL = 'cc-ci';

export interface BadgeLook {
  message: string;
  color: 'green' | 'red' | 'orange' | 'lightgrey';
}

/** What a recipe's badge says for its badge run (undefined: it has never had one). */
export function badgeOf(run: Pick<RunRecord, 'verdict' | 'level'> | undefined): BadgeLook {
  const level = run?.level === undefined ? '' : ` L${run.level}`;
  switch (run?.verdict) {
    case 'pass':
      return { message: `pass${level}`, color: 'green' };
    case 'fail':
      return { message: `fail${level}`, color: 'red' };
    case 'error':
      return { message: 'error', color: 'orange' };
    default:
      return { message: 'no runs', color: 'lightgrey' };
  }
}

interface Rendered {
  key: string;
  // Buffers, so a response is written as it is, without encoding the string again.
  svg: Buffer;
  svgEtag: string;
  json: Buffer;
  jsonEtag: string;
}

const etagOf = (body: string) => `"${createHash('sha1').update(body).digest('base64url')}"`;

/** How much of an na stage's reason the badge's title quotes. */
const TITLE_REASON_CHARS = 200;

/**
 * The SVG's <title> (what a browser shows on hover, and a screen reader reads): the badge's words,
 * then each na stage of the badge run with why, and whether it counted for the level.
 */
export function badgeTitle(
  look: BadgeLook,
  stages: ReadonlyArray<Pick<StageResult, 'name' | 'status' | 'reason' | 'naBy'>>,
): string {
  const na = stages.flatMap((s) => {
    const note = naNote(s);
    if (!note) return [];
    const reason = (s.reason ?? 'not applicable').replace(/\s+/g, ' ').trim();
    const cut = reason.length > TITLE_REASON_CHARS ? `${reason.slice(0, TITLE_REASON_CHARS - 1)}…` : reason;
    return [`na ${s.name}, ${note}: ${cut}`];
  });
  return [`${BADGE_LABEL}: ${look.message}`, ...na].join(' · ');
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

function render(key: string, look: BadgeLook, title: string): Rendered {
  const badge = makeBadge({ label: BADGE_LABEL, message: look.message, color: look.color });
  // badge-maker titles the SVG with its own words; ours say more (the na stages).
  const svg = badge.replace(/<title>[^<]*<\/title>/, `<title>${escapeXml(title)}</title>`);
  const json = JSON.stringify({ schemaVersion: 1, label: BADGE_LABEL, message: look.message, color: look.color });
  return { key, svg: Buffer.from(svg), svgEtag: etagOf(svg), json: Buffer.from(json), jsonEtag: etagOf(json) };
}

/** Whether the client's If-None-Match names this ETag (weak or strong, or `*`). */
function notModified(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

const isRecipeName = (name: string): boolean => {
  try {
    validateRecipeName(name);
    return true;
  } catch {
    return false;
  }
};

// How long the list of known recipes (deps.recipes(), which may read the recipes folder) is
// reused when asked about a recipe that has no runs.
const KNOWN_TTL_MS = 5_000;
/** The longest a badge lookup is reused without a reported change. */
export const LOOKUP_TTL_MS = 1_000;

interface Lookup {
  /** The badge run's id, verdict and level; undefined when the recipe never had one. */
  badge?: Pick<RunRecord, 'id' | 'verdict' | 'level'>;
  at: number;
}

export function registerBadges(app: FastifyInstance, deps: ServerDeps): void {
  // One entry each per known recipe: bounded by the recipes, never by what clients ask for.
  const cache = new Map<string, Rendered>();
  const lookups = new Map<string, Lookup>();
  let known: { names: Set<string>; at: number } | undefined;
  const isKnown = (name: string): boolean => {
    if (!known || Date.now() - known.at > KNOWN_TTL_MS) known = { names: new Set(deps.recipes()), at: Date.now() };
    return known.names.has(name);
  };
  const unsubscribe = deps.runs.onChange(({ run }) => {
    lookups.delete(run.recipe);
  });
  app.addHook('onClose', async () => unsubscribe());

  /** The recipe's badge run, or null for a recipe cc-ci does not know. */
  const lookup = (recipe: string): Lookup | null => {
    const now = Date.now();
    const hit = lookups.get(recipe);
    if (hit && now - hit.at < LOOKUP_TTL_MS) return hit;
    const { latest, badge } = deps.store.recipe(recipe);
    if (!latest && !badge && !isKnown(recipe)) return null;
    const fresh: Lookup = { badge: badge && { id: badge.id, verdict: badge.verdict, level: badge.level }, at: now };
    lookups.set(recipe, fresh);
    return fresh;
  };

  const notFound = (reply: FastifyReply, what: string) =>
    reply
      .code(404)
      .header('cache-control', 'no-cache')
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no badge ${JSON.stringify(what)}` } }));

  app.get<{ Params: { file: string } }>('/badge/:file', async (req, reply) => {
    const m = /^(.+)\.(svg|json)$/.exec(req.params.file);
    const recipe = m?.[1];
    const format = m?.[2];
    if (!recipe || !format || !isRecipeName(recipe)) return notFound(reply, req.params.file);
    const found = lookup(recipe);
    if (!found) return notFound(reply, req.params.file);
    const { badge } = found;
    const key = badge ? `${badge.id}\0${badge.verdict ?? ''}\0${badge.level ?? ''}` : '\0none';
    let rendered = cache.get(recipe);
    if (rendered?.key !== key) {
      // Read once per badge run: the rendering is kept until the badge run changes.
      const look = badgeOf(badge);
      const stages = badge ? (readResults(deps.runs.runFiles(badge.id).results)?.stages ?? []) : [];
      rendered = render(key, look, badgeTitle(look, stages));
      cache.set(recipe, rendered);
    }
    const etag = format === 'svg' ? rendered.svgEtag : rendered.jsonEtag;
    reply.header('cache-control', 'no-cache').header('etag', etag);
    if (notModified(req, etag)) return reply.code(304).send();
    return format === 'svg'
      ? reply.type('image/svg+xml; charset=utf-8').send(rendered.svg)
      : reply.type('application/json; charset=utf-8').send(rendered.json);
  });
}
