// POST /hook: the forge's webhook (DESIGN §3.7), enabled by forge.webhookSecretFile. The body is
// read raw (the signature is over its exact bytes) with a size limit (413 beyond it); a bad or
// missing signature is 401 and nothing happens; only a comment created on a pull request is
// acted on, and a push to an enrolled repository's default branch (a run of its new head, when
// forge.pushRuns is on). The answer goes back at once; the comment is handled after (the same path as the
// poller's, so one comment starts one run, ever). A delivery of an old comment (a replay) is
// answered 200 with why and not acted on (../trigger/webhook-freshness.ts); the poller still
// reads the comment if it has not. The forge's own code (deps.webhooks) checks the
// signature and reads the payload: this route knows no forge's format.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorMessage } from '../model/errors.js';
import { systemClock } from '../model/clock.js';
import type { ForgeBridge } from '../trigger/bridge.js';
import { cursorKey } from '../trigger/poller.js';
import { staleDelivery } from '../trigger/webhook-freshness.js';
import type { PushEvent } from '../forge/forge.js';
import type { ServerDeps } from './server-deps.js';

// A comment payload carries the issue, the repository and two users (Gitea's): tens of kilobytes.
export const HOOK_BODY_LIMIT = 512 * 1024;

export function registerHook(app: FastifyInstance, deps: ServerDeps & { bridge?: Pick<ForgeBridge, 'handle'> }): void {
  const secret = deps.config.secrets.webhookSecret;
  const { bridge, webhooks } = deps;
  if (!secret || !bridge || !webhooks) return;
  void app.register(async (scope) => {
    // In this scope only: every body as raw bytes, for the signature.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HOOK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    scope.post('/hook', { bodyLimit: HOOK_BODY_LIMIT }, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (!webhooks.verify(raw, request.headers, secret)) {
        deps.log.warn({ ip: request.ip }, 'webhook with a missing or wrong signature: ignored');
        return reply
          .code(401)
          .send({ error: { code: 'UNAUTHORIZED', message: 'the signature does not match the webhook secret' } });
      }
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {
        return reply.code(400).send({
          error: {
            code: 'INPUT_INVALID',
            message: 'the body is not JSON (set the webhook content type to application/json)',
          },
        });
      }
      const push = webhooks.readPush(request.headers, payload);
      if (push) return acceptPush(deps, push, reply);
      const event = webhooks.readComment(request.headers, payload);
      if (!event) return reply.code(204).send();
      const delivery = event.deliveryId ?? 'without an id';
      const stale = staleDelivery({
        createdAt: event.createdAt,
        now: (deps.clock ?? systemClock).now(),
        maxAgeMs: deps.config.forge?.webhookMaxAge ?? 300_000,
        cursor: deps.store.getCursor(cursorKey(event.repo)),
      });
      if (stale) {
        deps.log.warn(
          { delivery: event.deliveryId, repo: event.repo, pr: event.pr, commentId: event.commentId },
          `webhook delivery ${delivery} of comment ${event.commentId} on ${event.repo}#${event.pr} ignored: ` +
            `${stale} (a replayed delivery?); the poller still reads the comment if it has not`,
        );
        return reply.code(200).send({ ignored: event.commentId, why: stale });
      }
      void bridge
        .handle(event)
        .catch((err: unknown) =>
          deps.log.error(`handling webhook comment ${event.commentId} failed: ${errorMessage(err)}`),
        );
      return reply.code(202).send({ accepted: event.commentId });
    });
  });
}

/**
 * A push to an enrolled repository's default branch, with push runs on: a nudge to read its head
 * now (the head is read from the forge, never taken from the delivery, so a replayed or late
 * delivery cannot queue an old commit). Answered at once; the read and the run come after.
 */
function acceptPush(deps: ServerDeps, push: PushEvent, reply: FastifyReply) {
  const why = !deps.pushes
    ? 'push runs are off (forge.pushRuns: false)'
    : !(deps.enrolled ? deps.enrolled.has(push.repo) : deps.config.forge?.repos.includes(push.repo))
      ? `${push.repo} is not enrolled (forge.repos)`
      : undefined;
  if (why || !deps.pushes) {
    deps.log.info({ delivery: push.deliveryId, repo: push.repo }, `push webhook for ${push.repo} ignored: ${why}`);
    return reply.code(200).send({ ignored: push.repo, why });
  }
  void deps.pushes
    .check(push.repo)
    .catch((err: unknown) =>
      deps.log.warn(
        { delivery: push.deliveryId, repo: push.repo },
        `reading the head of ${push.repo} after a push webhook failed (${errorMessage(err)}); the next poll reads it`,
      ),
    );
  return reply.code(202).send({ accepted: push.repo, sha: push.sha });
}
