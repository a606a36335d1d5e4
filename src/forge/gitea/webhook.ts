// Webhooks from Gitea or Forgejo: the signature check and the one event the trigger acts on, a
// new comment on a pull request. Gitea signs with `X-Gitea-Signature`, the lower-case hex
// HMAC-SHA256 of the raw body keyed by the hook secret, no prefix (services/webhook/deliver.go);
// newer Forgejo also sends `X-Forgejo-Signature`. A PR comment arrives as
// `X-Gitea-Event: issue_comment` with `X-Gitea-Event-Type: pull_request_comment`, and its payload
// is {action, issue, comment, [changes], repository, sender, is_pull}, without the head sha. Each
// delivery has an id (`X-Gitea-Delivery`, Forgejo's `X-Forgejo-Delivery`: a UUID), outside the
// signature. Gitea compares owner and repository names without case: cc-ci writes them in lower
// case (forge.repos is lower-cased when the config is read).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Comment, Issue, Repository, User } from 'gitea-js';
import { z } from 'zod';
import type { CommentEvent, ForgeWebhooks, PushEvent, WebhookHeaders } from '../forge.js';

export type { CommentEvent, WebhookHeaders } from '../forge.js';

/** Gitea's (and Forgejo's) deliveries, read into cc-ci's words. */
export const giteaWebhooks: ForgeWebhooks = {
  verify: (rawBody, headers, secret) => verifySignature(rawBody, headers, secret),
  readComment: (headers, body) => readCommentEvent(headers, body),
  readPush: (headers, body) => readPushEvent(headers, body),
};

const hexSha256 = /^[0-9a-f]{64}$/;

/**
 * Whether the body carries a valid signature for `secret` in `X-Gitea-Signature` or
 * `X-Forgejo-Signature`. An empty secret never verifies (Gitea sends an empty signature for a
 * hook without a secret, and anyone could send that). Never throws.
 */
export function verifySignature(rawBody: Buffer, headers: WebhookHeaders, secret: string): boolean {
  try {
    if (secret === '' || !Buffer.isBuffer(rawBody)) return false;
    const candidates = [header(headers, 'x-gitea-signature'), header(headers, 'x-forgejo-signature')];
    if (!candidates.some((c) => c !== undefined && hexSha256.test(c))) return false;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    return candidates.some((c) => {
      if (c === undefined || !hexSha256.test(c)) return false;
      const given = Buffer.from(c, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  } catch {
    return false;
  }
}

// The payload fields read, checked against gitea-js's names so a typo does not compile.
type Shape<T> = Partial<Record<keyof T, z.ZodType>>;
const userSchema = z.object({ login: z.string().min(1) } satisfies Shape<User>);
const commentSchema = z.object({
  id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  body: z.string(),
  user: userSchema,
  created_at: z.string().min(1),
} satisfies Shape<Comment>);
const issueSchema = z.object({
  number: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
} satisfies Shape<Issue>);
const repositorySchema = z.object({
  full_name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/),
} satisfies Shape<Repository>);
const payloadSchema = z.object({
  action: z.string(),
  issue: issueSchema,
  comment: commentSchema,
  repository: repositorySchema,
  is_pull: z.boolean().optional(),
});

/**
 * The new PR comment a webhook delivery announces, or undefined for everything else: another
 * event, a comment on an issue, an edited or deleted comment, or a payload of the wrong shape.
 * `body` is the parsed JSON (a JSON string is parsed here). Never throws.
 */
export function readCommentEvent(headers: WebhookHeaders, body: unknown): CommentEvent | undefined {
  const p = readPayload(headers, body, 'issue_comment', payloadSchema);
  if (p?.action !== 'created') return undefined;
  const eventType = header(headers, 'x-gitea-event-type') ?? header(headers, 'x-forgejo-event-type');
  const onPull = eventType !== undefined ? eventType === 'pull_request_comment' : p.is_pull === true;
  if (!onPull) return undefined;
  // repo: repository.full_name; pr: issue.number; user: comment.user.login; createdAt: comment.created_at.
  return {
    repo: p.repository.full_name.toLowerCase(),
    pr: p.issue.number,
    commentId: p.comment.id,
    body: p.comment.body,
    user: p.comment.user.login,
    createdAt: p.comment.created_at,
    ...deliveryId(headers),
  };
}

// Gitea's PushPayload (modules/structs/hook.go): {ref, before, after, compare_url, commits,
// total_commits, head_commit, repository, pusher, sender}; `X-Gitea-Event: push`.
const pushSchema = z.object({
  ref: z.string(),
  after: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/),
  repository: repositorySchema.extend({ default_branch: z.string().min(1) }),
});

/**
 * The push to the repository's default branch a delivery announces, or undefined for anything
 * else: another event, another branch, a tag, a deleted branch (`after` all zeros). Never throws.
 */
export function readPushEvent(headers: WebhookHeaders, body: unknown): PushEvent | undefined {
  const p = readPayload(headers, body, 'push', pushSchema);
  if (!p) return undefined;
  const branch = p.repository.default_branch;
  if (p.ref !== `refs/heads/${branch}` || /^0+$/.test(p.after)) return undefined;
  return { repo: p.repository.full_name.toLowerCase(), branch, sha: p.after, ...deliveryId(headers) };
}

/** The payload of a delivery of `event` (Gitea's or Forgejo's header), parsed and of the schema's shape. */
function readPayload<T>(headers: WebhookHeaders, body: unknown, event: string, schema: z.ZodType<T>): T | undefined {
  if ((header(headers, 'x-gitea-event') ?? header(headers, 'x-forgejo-event')) !== event) return undefined;
  let json = body;
  if (typeof body === 'string') {
    try {
      json = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The delivery's id. Not signed: kept only when it looks like an id, so a log line cannot be forged through it. */
function deliveryId(headers: WebhookHeaders): { deliveryId?: string } {
  const delivery = header(headers, 'x-gitea-delivery') ?? header(headers, 'x-forgejo-delivery');
  return delivery !== undefined && /^[A-Za-z0-9-]{1,64}$/.test(delivery) ? { deliveryId: delivery } : {};
}

/** One header's value, whatever case the caller's keys have; a repeated header counts as absent. */
function header(headers: WebhookHeaders, name: string): string | undefined {
  let found: string | undefined;
  let count = 0;
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string') continue;
      found = v;
      count++;
    }
  }
  return count === 1 ? found : undefined;
}
