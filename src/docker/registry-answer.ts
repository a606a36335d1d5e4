// What a registry said about an image, read from the Docker Engine's answer to
// `GET /distribution/<image>/json` (the Engine asks the registry for the image's manifest and
// passes the registry's error on, with an HTTP status of its own; the words are the registry's,
// prefixed by its error code in lower case: `toomanyrequests: …`, `manifest unknown: …`).
// Observed with Docker Engine 20.10 against testbed/registry (README there): 429 toomanyrequests,
// 401 unauthorized, 403 denied, 404 manifest unknown and name unknown, 500 for a registry that
// cannot be reached (`dial tcp …: connection refused`).
import type { RegistryAnswer } from '../model/errors.js';

/** How an answer other than the image's manifest reads; the words decide when the status does not. */
export function readRegistryAnswer(status: number | undefined, message: string): Exclude<RegistryAnswer, 'has-it'> {
  const words = message.toLowerCase();
  if (status === 429 || words.includes('toomanyrequests') || words.includes('rate limit')) return 'rate-limited';
  if (
    status === 401 ||
    status === 403 ||
    /\b(unauthorized|denied|authentication required|no basic auth credentials)\b/.test(words)
  )
    return 'unauthorized';
  if (status === 404 || /\b(manifest unknown|name unknown|not found)\b/.test(words)) return 'not-found';
  return 'unreachable';
}
