// The JSON API (DESIGN §3.7): runs and recipes to read, and two admin routes that change
// something (queue a run, cancel one) behind `Authorization: Bearer <token>`. Everything that
// comes in is validated as `cc-ci run` validates its arguments (src/validate/input.ts); every
// answer passes the secret registry on its way out.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { enrolledRepoUrl } from '../config/enrolled.js';
import { errorMessage } from '../model/errors.js';
import { HISTORY_DAYS, HISTORY_MAX_POINTS, historySince } from '../model/history.js';
import { isTerminal, runStates, type RunRecord, type RunState } from '../model/run.js';
import {
  isOnOrigin,
  parseStages,
  validateRecipeName,
  validateRef,
  validateRepoUrl,
  validateRunId,
} from '../validate/input.js';
import { bearerToken, tokenMatches } from './admin-auth.js';
import { badgeOf } from './badges.js';
import type { ServerDeps } from './server-deps.js';

/** The error codes the HTTP server answers with, besides those of src/model/errors.ts. */
export type HttpErrorCode =
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'INPUT_INVALID'
  | 'NOT_FOUND'
  | 'RUN_FINISHED'
  // The ingest routes (ingest.ts): the offset serve holds differs; over a limit; cannot write.
  | 'OFFSET_HELD'
  | 'TOO_LARGE'
  | 'STORE_FAILED';

/** Sends a JSON body through the secret registry (a secret never reaches a client). */
export function sendJson(
  reply: FastifyReply,
  deps: Pick<ServerDeps, 'secrets'>,
  status: number,
  body: unknown,
): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(deps.secrets.redact(JSON.stringify(body)));
}

/** `{"error": {"code", "message"}}` with the given status. */
export function sendError(
  reply: FastifyReply,
  deps: Pick<ServerDeps, 'secrets'>,
  status: number,
  code: HttpErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return sendJson(reply, deps, status, { error: { code, message }, ...extra });
}

/** A run as the API shows it: every field of the design's list always present (null when unknown). */
export function runJson(run: RunRecord) {
  return {
    id: run.id,
    recipe: run.recipe,
    repo: run.repo,
    ref: run.ref,
    sha: run.sha ?? null,
    pr: run.pr ?? null,
    /** The stages asked for (empty: runner.stages); a run's detail adds its stage results as `stages`. */
    requestedStages: run.stages,
    keep: run.keep,
    state: run.state,
    verdict: run.verdict ?? null,
    level: run.level ?? null,
    currentStage: run.currentStage ?? null,
    error: run.error ?? null,
    supersededBy: run.supersededBy ?? null,
    trigger: { kind: run.trigger.kind, by: run.trigger.by ?? null, rerunOf: run.trigger.rerunOf ?? null },
    createdAt: run.createdAt,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    /** When retention deleted the run's log and artifacts (config retention); the run's results stay here. */
    prunedAt: run.prunedAt ?? null,
  };
}

/** Where POST /api/runs may clone from: the forge's origin and the configured extra origins. */
export function repoOrigins(config: ServerDeps['config']): string[] {
  const forge = config.forge ? [new URL(config.forge.url).origin] : [];
  const extra = config.dashboard.allowedRepoOrigins.map((o) => (o.startsWith('file:') ? o : new URL(o).origin));
  return [...new Set([...forge, ...extra])];
}

/** The admin check of the API, as an onRequest hook: it runs before the body is even read. */
export function adminOnly(deps: ServerDeps) {
  // An async hook that answers returns the reply, so fastify goes no further (no body parsing, no handler).
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const expected = deps.config.secrets.adminToken;
    if (!expected) {
      return sendError(
        reply,
        deps,
        401,
        'UNAUTHORIZED',
        'admin is switched off: no admin token is configured (set dashboard.adminTokenFile or CCCI_ADMIN_TOKEN)',
      );
    }
    const backoff = deps.authBackoff;
    const waitMs = backoff?.waitMs(req.ip) ?? 0;
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      reply.header('retry-after', String(seconds));
      return sendError(
        reply,
        deps,
        429,
        'RATE_LIMITED',
        `too many wrong admin tokens from this address: wait ${seconds} s, then send the right one`,
      );
    }
    if (!tokenMatches(expected, bearerToken(req.headers.authorization))) {
      backoff?.failed(req.ip);
      reply.header('www-authenticate', 'Bearer realm="cc-ci"');
      return sendError(
        reply,
        deps,
        401,
        'UNAUTHORIZED',
        'this route needs the admin token as "Authorization: Bearer <token>"',
      );
    }
    backoff?.succeeded(req.ip);
    return undefined;
  };
}

/** A zod string run through one of the validators of src/validate/input.ts; its message becomes the issue's. */
function validated(check: (s: string) => string) {
  return z.string().transform((value, ctx) => {
    try {
      return check(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: errorMessage(err) });
      return z.NEVER;
    }
  });
}

const stageList = z.union([z.array(z.string()), z.string()]).transform((value, ctx) => {
  const list = typeof value === 'string' ? value.split(',') : value;
  const joined = list.find((s) => s.includes(','));
  if (joined !== undefined) {
    ctx.addIssue({ code: 'custom', message: `give each stage as its own list item, not ${JSON.stringify(joined)}` });
    return z.NEVER;
  }
  try {
    return parseStages(list.join(','));
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: errorMessage(err) });
    return z.NEVER;
  }
});

const createRunBody = z.strictObject({
  recipe: validated(validateRecipeName),
  ref: validated(validateRef),
  pr: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  stages: stageList.optional(),
  repo: validated(validateRepoUrl).optional(),
  keep: z.boolean().optional(),
});

const listQuery = z.object({
  recipe: validated(validateRecipeName).optional(),
  state: z
    .string()
    .refine((s) => (runStates as readonly string[]).includes(s), { message: `must be one of ${runStates.join(', ')}` })
    .transform((s) => s as RunState)
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number from 1 to 1000')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, 'must be a whole number from 1 to 1000')
    .optional(),
});

const recipeParam = validated(validateRecipeName);

/** The first issue of a failed parse, naming its field. */
function describeIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  if (!issue) return `${what} is invalid`;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
    const fields = issue.keys.length > 1 ? 'fields' : 'field';
    return `${keys}: unknown ${fields} (the fields are recipe, ref, pr, stages, repo, keep)`;
  }
  const field = issue.path.length ? issue.path.join('.') : what;
  return `${field}: ${issue.message}`;
}

const runIdPattern = (id: string): boolean => {
  try {
    validateRunId(id);
    return true;
  } catch {
    return false;
  }
};

export function registerApi(app: FastifyInstance, deps: ServerDeps): void {
  const { store, runs } = deps;
  const admin = adminOnly(deps);

  const knownRun = (id: string): RunRecord | undefined => (runIdPattern(id) ? store.getRun(id) : undefined);
  // The id is not repeated: an answer that echoed it through the secret registry would tell a
  // guesser when the guess was a secret (it would come back masked).
  const notFound = (reply: FastifyReply) => sendError(reply, deps, 404, 'NOT_FOUND', 'no such run');
  const origins = repoOrigins(deps.config);

  app.get('/api/runs', async (req, reply) => {
    const query = listQuery.safeParse(req.query ?? {});
    if (!query.success) return sendError(reply, deps, 400, 'INPUT_INVALID', describeIssue(query.error, 'query'));
    const list = store.listRuns({ recipe: query.data.recipe, state: query.data.state, limit: query.data.limit ?? 100 });
    return sendJson(reply, deps, 200, { runs: list.map(runJson) });
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req, reply) => {
    const run = knownRun(req.params.id);
    if (!run) return notFound(reply);
    const queuePosition = run.state === 'queued' ? (runs.queuePosition(run.id) ?? null) : null;
    return sendJson(reply, deps, 200, { ...runJson(run), queuePosition, stages: store.stagesOf(run.id) });
  });

  app.get('/api/recipes', async (_req, reply) => {
    const fromStore = new Map(store.recipes().map((r) => [r.name, r]));
    const names = [...new Set([...deps.recipes(), ...fromStore.keys()])].sort();
    const enrolled = deps.enrolled?.list() ?? deps.config.forge?.repos ?? [];
    const recipes = names.map((name) => {
      const r = fromStore.get(name);
      const latest = r?.latest;
      const badge = r?.badge;
      return {
        name,
        // The enrolled repository named like the recipe (owner/name), or null.
        repo: enrolled.find((repo) => repo.split('/')[1] === name) ?? null,
        latest: latest
          ? {
              id: latest.id,
              state: latest.state,
              verdict: latest.verdict ?? null,
              level: latest.level ?? null,
              createdAt: latest.createdAt,
            }
          : null,
        badge: badge
          ? {
              runId: badge.id,
              ...badgeOf(badge),
              verdict: badge.verdict ?? null,
              level: badge.level ?? null,
              finishedAt: badge.finishedAt ?? null,
            }
          : null,
      };
    });
    return sendJson(reply, deps, 200, { recipes });
  });

  // The data of the recipe page's chart: the badge runs of the last HISTORY_DAYS days, oldest first.
  app.get<{ Params: { recipe: string } }>('/api/recipes/:recipe/history', async (req, reply) => {
    const { recipe } = req.params;
    const name = recipeParam.safeParse(recipe);
    if (!name.success) return sendError(reply, deps, 400, 'INPUT_INVALID', describeIssue(name.error, 'recipe'));
    const now = deps.clock?.now() ?? new Date();
    const points = store.history(recipe, historySince(now));
    if (points.length === 0 && !store.recipe(recipe).latest && !deps.recipes().includes(recipe))
      return sendError(reply, deps, 404, 'NOT_FOUND', 'no such recipe: it has no runs and is not enrolled');
    return sendJson(reply, deps, 200, {
      recipe,
      days: HISTORY_DAYS,
      // At most this many points, the newest: as many points as this may mean older runs were left out.
      limit: HISTORY_MAX_POINTS,
      points: points.map((p) => ({
        runId: p.runId,
        finishedAt: p.finishedAt,
        verdict: p.verdict,
        level: p.level ?? null,
        sha: p.sha ?? null,
      })),
    });
  });

  app.post('/api/runs', { onRequest: admin }, async (req, reply) => {
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      return sendError(
        reply,
        deps,
        400,
        'INPUT_INVALID',
        'body: expected a JSON object {"recipe", "ref", "pr"?, "stages"?, "repo"?, "keep"?}',
      );
    }
    const body = createRunBody.safeParse(req.body);
    if (!body.success) return sendError(reply, deps, 400, 'INPUT_INVALID', describeIssue(body.error, 'body'));
    const { recipe, ref, pr, stages = [], keep = false } = body.data;
    let repo = body.data.repo;
    if (repo !== undefined && !isOnOrigin(repo, origins)) {
      const allowed = origins.length ? origins.join(', ') : 'none (no forge.url and no dashboard.allowedRepoOrigins)';
      return sendError(
        reply,
        deps,
        400,
        'INPUT_INVALID',
        `repo: the API clones only from the forge's origin and dashboard.allowedRepoOrigins, which are: ${allowed}. ` +
          'Add the origin there, or run it from the command line (cc-ci run --repo also takes ssh and file URLs)',
      );
    }
    if (repo === undefined) {
      try {
        repo = enrolledRepoUrl(deps.config, recipe, deps.enrolled?.list());
      } catch {
        return sendError(
          reply,
          deps,
          400,
          'INPUT_INVALID',
          `repo: not given, and ${recipe} is not an enrolled repository (forge.repos); ` +
            'give "repo" as a URL on the forge\'s origin or one of dashboard.allowedRepoOrigins',
        );
      }
    }
    const run = runs.enqueue({ recipe, repo, ref, pr, stages, keep, trigger: { kind: 'api' } });
    deps.log.info({ runId: run.id, recipe, ref, pr }, `run ${run.id} queued through the API`);
    reply.header('location', `/api/runs/${run.id}`);
    const queuePosition = run.state === 'queued' ? (runs.queuePosition(run.id) ?? null) : null;
    return sendJson(reply, deps, 201, { ...runJson(run), queuePosition });
  });

  app.post<{ Params: { id: string } }>('/api/runs/:id/cancel', { onRequest: admin }, async (req, reply) => {
    const run = knownRun(req.params.id);
    if (!run) return notFound(reply);
    if (isTerminal(run)) {
      return sendError(reply, deps, 409, 'RUN_FINISHED', `run ${run.id} has already ended: ${run.state}`, {
        state: run.state,
      });
    }
    deps.log.info({ runId: run.id }, `run ${run.id} cancelled through the API`);
    // A running run tears down first, which takes a while: answer now, the state follows.
    runs.cancel(run.id, 'cancelled through the API').catch((err: unknown) => {
      deps.log.error({ runId: run.id }, `cancelling run ${run.id} failed: ${errorMessage(err)}`);
    });
    return sendJson(reply, deps, 202, runJson(store.getRun(run.id) ?? run));
  });
}
