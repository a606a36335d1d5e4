// Output in the shape Go's encoding/json gives it (Gitea encodes with jsoniter in
// standard-library mode): `<`, `>`, `&`, U+2028 and U+2029 are escaped inside strings, ctx.JSON
// bodies end with a newline (json.Encoder), webhook payloads are json.MarshalIndent(p, "", "  ").
// Times are Unix seconds on the server, rendered RFC 3339 without fractions.

const GO_ESCAPED = /[<>&\u2028\u2029]/g;

function escapeLikeGo(json: string): string {
  // These characters can only occur inside JSON string literals, so a global replace is safe.
  return json.replace(GO_ESCAPED, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** A response body as Gitea's ctx.JSON writes it. */
export function goJsonBody(value: unknown): string {
  return escapeLikeGo(JSON.stringify(value)) + '\n';
}

/** A webhook payload as Gitea's JSONPayload() writes it (MarshalIndent, two spaces, no newline). */
export function goJsonIndent(value: unknown): string {
  return escapeLikeGo(JSON.stringify(value, null, 2));
}

/** A timestamp (Unix seconds) as Go renders time.Unix(s, 0) in UTC. */
export function goTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Go's zero time.Time, which `omitempty` does not omit. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** strconv.Atoi as ctx.FormInt uses it: anything that is not a plain integer is 0. */
export function goAtoi(value: string | null): number {
  if (value === null || !/^[+-]?\d+$/.test(value)) return 0;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : 0;
}

/** url.QueryEscape: unreserved characters kept, space as '+', the rest %XX upper case. */
export function goQueryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** url.Values.Encode: keys sorted, values in order. */
export function goEncodeQuery(params: URLSearchParams): string {
  const keys = [...new Set(params.keys())].sort();
  const parts: string[] = [];
  for (const k of keys) {
    for (const v of params.getAll(k)) parts.push(`${goQueryEscape(k)}=${goQueryEscape(v)}`);
  }
  return parts.join('&');
}
