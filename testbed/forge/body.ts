// Request bodies and Gitea's form binding (gitea.com/go-chi/binding via routers/api/v1 `bind`):
// JSON when the Content-Type says json, else url-encoded form; a binding error is 422
// `"<FieldNames>: <message>"` — e.g. `[Body]: Required` for a missing required string.
import type { IncomingMessage } from 'node:http';

export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export type Bound = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

/**
 * Decode a request body as the binding library would and check `required` fields
 * (JSON name → Go field name, e.g. {body: 'Body'}); a required string must be non-empty.
 */
export function bind(raw: Buffer, contentType: string | undefined, required: Record<string, string> = {}): Bound {
  let value: Record<string, unknown> = {};
  if ((contentType ?? '').toLowerCase().includes('json')) {
    if (raw.length > 0) {
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          return { ok: false, message: '[]: cannot unmarshal non-object into Go value' };
        }
        value = parsed as Record<string, unknown>;
      } catch (err) {
        return { ok: false, message: `[]: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
  } else {
    value = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  }
  for (const [jsonName, goName] of Object.entries(required)) {
    const v = value[jsonName];
    if (v === undefined || v === null || v === '' || (typeof v === 'object' && Object.keys(v).length === 0)) {
      return { ok: false, message: `[${goName}]: Required` };
    }
  }
  return { ok: true, value };
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
