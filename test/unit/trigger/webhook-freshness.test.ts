// A webhook delivery is acted on only when its comment is recent: younger than
// forge.webhookMaxAge by cc-ci's clock, and not older than what the poller has already read.
import { describe, expect, it } from 'vitest';
import { staleDelivery } from '../../../src/trigger/webhook-freshness.js';

const now = new Date('2026-12-07T10:00:00Z');
const maxAgeMs = 300_000;

describe('staleDelivery', () => {
  it('a comment written just now is fresh, with or without a cursor before it', () => {
    expect(staleDelivery({ createdAt: '2026-12-07T09:59:58Z', now, maxAgeMs })).toBeUndefined();
    const cursor = '2026-12-07T09:59:58Z';
    expect(staleDelivery({ createdAt: '2026-12-07T09:59:58Z', now, maxAgeMs, cursor })).toBeUndefined();
    // A forge clock ahead of ours is no reason to refuse.
    expect(staleDelivery({ createdAt: '2026-12-07T10:02:00Z', now, maxAgeMs })).toBeUndefined();
  });

  it('older than forge.webhookMaxAge is stale, and says by how much', () => {
    expect(staleDelivery({ createdAt: '2026-12-07T09:50:00Z', now, maxAgeMs })).toBe(
      'the comment was written 600 s ago, longer ago than forge.webhookMaxAge (300 s)',
    );
  });

  it("older than the repository's poll cursor is stale, whatever the clocks say", () => {
    const cursor = '2026-12-07T09:59:30Z';
    expect(staleDelivery({ createdAt: '2026-12-07T09:59:00Z', now, maxAgeMs, cursor })).toMatch(
      /older than what the poller has already read/,
    );
  });

  it('a time that cannot be read is stale', () => {
    expect(staleDelivery({ createdAt: 'yesterday', now, maxAgeMs })).toMatch(/cannot be read/);
  });
});
