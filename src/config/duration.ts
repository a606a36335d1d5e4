// Durations as the config and CLI write them: "250ms", "30s", "60m", "2h", "1d", or a bare number of seconds.
import { z } from 'zod';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (units[m[2] ?? 's'] ?? 1000));
}

/** A zod schema for a duration in the config; the parsed value is milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(String(value));
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like "30s", "60m" or "2h", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return ms;
});
