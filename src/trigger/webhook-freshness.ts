// Whether a webhook delivery announces a comment recent enough to act on. A signed delivery can
// be replayed (a repository admin sees the delivery history; so does anyone on the path of a
// plain-http hook), and the comment id in the store is then the only guard: after the store was
// reset or moved, or the first handling was given back because the forge did not answer, the
// replay would fire again. So a delivery of a comment older than forge.webhookMaxAge, or older
// than the repository's poll cursor, is not acted on. Nothing is lost: the webhook is only a fast
// path, and the poller reads every comment it has not seen, however old.

export interface FreshnessInput {
  /** The comment's creation time as the forge wrote it (RFC 3339, the forge's clock). */
  createdAt: string;
  /** cc-ci's clock now. */
  now: Date;
  /** forge.webhookMaxAge in ms: it also absorbs the difference between the two clocks. */
  maxAgeMs: number;
  /** The repository's poll cursor (the forge's time of the newest comment the poller has read). */
  cursor?: string;
}

/** Why the delivery is too old to act on, or undefined when it is fresh. */
export function staleDelivery({ createdAt, now, maxAgeMs, cursor }: FreshnessInput): string | undefined {
  const created = Date.parse(createdAt);
  if (Number.isNaN(created)) return `the comment's time ${JSON.stringify(createdAt.slice(0, 40))} cannot be read`;
  const age = now.getTime() - created;
  if (age > maxAgeMs)
    return (
      `the comment was written ${Math.round(age / 1000)} s ago, ` +
      `longer ago than forge.webhookMaxAge (${Math.round(maxAgeMs / 1000)} s)`
    );
  // The cursor and the comment's time are both the forge's: no clock difference between them.
  if (cursor !== undefined && created < Date.parse(cursor))
    return `the comment is older than what the poller has already read of the repository (${cursor})`;
  return undefined;
}
