// Sizes as the config writes them: "5GiB", "500MiB", "10GB", "1.5 TiB", or a bare number of bytes.
import { z } from 'zod';

const units: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = units[(m[2] ?? 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** A size in bytes as people read it: 5.0 GiB, 812.3 MiB, 512 B. */
export function formatByteSize(bytes: number): string {
  const steps = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < steps.length - 1) {
    value /= 1024;
    i += 1;
  }
  return i === 0 ? `${value} B` : `${value.toFixed(1)} ${steps[i]}`;
}

/** A zod schema for a size in the config; the parsed value is bytes. */
export const byteSizeSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseByteSize(String(value));
  if (bytes === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a size like "5GiB", "500MiB" or "10GB", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return bytes;
});
