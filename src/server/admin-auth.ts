// The admin token check of the API (Authorization: Bearer) and of the pages' forms (a `token`
// form field): both compare SHA-256 digests in constant time, so neither the token's length nor
// its first wrong byte shows in the timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokenMatches(expected: string | undefined, given: string | undefined): boolean {
  if (!expected || given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
