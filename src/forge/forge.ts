// The forge as a port: what the trigger, the reporter, the doctor and the demo need of a forge,
// and the forge-neutral words for what a forge sends (a comment on a pull request). Each forge
// implements it in its own folder (gitea/) and is chosen by forge.type in ./registry.ts.
import type { ForgeClient, RepoName } from './types.js';

/** A comment on a pull request, in cc-ci's words: what the trigger acts on. */
export interface PrComment {
  /** `owner/name` */
  repo: RepoName;
  pr: number;
  commentId: number;
  body: string;
  /** The author's login. */
  user: string;
  /** The webhook delivery that brought it (`X-Gitea-Delivery`), kept with the comment's claim. */
  deliveryId?: string;
  /** When the forge says it was written (RFC 3339, the forge's clock): pushes after it were not seen. */
  createdAt: string;
}

/** A new PR comment as a webhook delivery announces it. */
export type CommentEvent = PrComment;

/** A comment as the forge lists it for the poller: on a pull request, or (pr undefined) on an issue. */
export interface ListedComment {
  commentId: number;
  pr?: number;
  body: string;
  user: string;
  /** When it was written (the forge's time). */
  createdAt: string;
  /** The forge's own time of the last edit (the poller's cursor is always the forge's time). */
  updatedAt?: string;
}

/** A push to a repository's default branch as a webhook delivery announces it. */
export interface PushEvent {
  /** `owner/name`, lower case. */
  repo: RepoName;
  branch: string;
  /** The branch's new head (hex sha). */
  sha: string;
  deliveryId?: string;
}

/** HTTP headers as a server hands them over, in whatever case. */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface ForgeWebhooks {
  /** Whether the raw body carries a valid signature for `secret`. Never throws. */
  verify(rawBody: Buffer, headers: WebhookHeaders, secret: string): boolean;
  /** The new PR comment a delivery announces, or undefined for anything else. Never throws. */
  readComment(headers: WebhookHeaders, body: unknown): CommentEvent | undefined;
  /** The push to the default branch a delivery announces, or undefined for anything else. Never throws. */
  readPush(headers: WebhookHeaders, body: unknown): PushEvent | undefined;
}

export interface Forge {
  /** The forge's REST API as cc-ci uses it: pulls, comments, statuses, membership, repositories. */
  readonly client: ForgeClient;
  /** Every comment of a repository updated since `since` (inclusive, the forge's time), oldest first. */
  commentsSince(repo: RepoName, since?: string): Promise<ListedComment[]>;
  /** Reading the forge's webhook deliveries. */
  readonly webhooks: ForgeWebhooks;
}
