// Webhook delivery as services/webhook/deliver.go does it: after the API call has answered (a
// queue), one POST per active repository hook that chose the event, with the payload as
// json.MarshalIndent, the X-Gitea-*/X-Gogs-*/X-Hub-Signature*/X-GitHub-* headers, the
// signature = lower-case hex HMAC-SHA256 (and SHA1) of the payload keyed by the hook secret
// ("" without a secret), `Content-Type: application/json` (json) or a `payload=` form (form:
// the signature is still over the JSON), a 5 s timeout (DELIVER_TIMEOUT). A failed delivery is
// recorded, never retried and never fails the API call.
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { goEncodeQuery, goJsonIndent } from './gojson.js';
import type { HookRec } from './types.js';

/** Gitea's HookEventType for the events the stand-in sends. */
export type HookEventType = 'issue_comment' | 'pull_request_comment' | 'push';

export interface Delivery {
  id: number;
  uuid: string;
  hookId: number;
  repo: string;
  url: string;
  /** X-Gitea-Event (HookEventType.Event(): both comment kinds are "issue_comment"; a push is "push"). */
  event: string;
  /** X-Gitea-Event-Type. */
  eventType: HookEventType;
  action: string;
  requestHeaders: Record<string, string>;
  /** The exact bytes sent. */
  body: string;
  status: number | null;
  responseBody: string;
  error: string | null;
  ok: boolean;
  at: string;
}

export const DELIVER_TIMEOUT_MS = 5_000;

/**
 * Whether a hook receives an event. `hook.events` is already expanded as addHook does it
 * (routers/api/v1/utils/hook.go): "issues" brings issue_comment, "pull_request" brings
 * pull_request_comment — and "issue_comment" alone does NOT bring comments on PRs.
 */
export function hookWants(hook: HookRec, eventType: HookEventType): boolean {
  return hook.events.includes(eventType);
}

/** Hook types whose payload is the Gitea JSON payload (others are chat formats, not modelled). */
const GITEA_PAYLOAD_TYPES = new Set(['gitea', 'gogs', 'forgejo']);

export class Webhooks {
  readonly deliveries: Delivery[] = [];
  private tail: Promise<void> = Promise.resolve();
  private seq = 0;

  /** Queue one delivery per hook for an event; returns at once. */
  enqueue(hooks: HookRec[], repo: string, eventType: HookEventType, action: string, payload: unknown): void {
    const content = goJsonIndent(payload);
    for (const hook of hooks) {
      if (!hook.active || !hookWants(hook, eventType)) continue;
      this.tail = this.tail.then(() => this.deliver(hook, repo, eventType, action, content)).catch(() => undefined);
    }
  }

  /** Resolves when everything queued so far has been delivered (or has failed). */
  idle(): Promise<void> {
    return this.tail;
  }

  private async deliver(
    hook: HookRec,
    repo: string,
    eventType: HookEventType,
    action: string,
    content: string,
  ): Promise<void> {
    const uuid = randomUUID();
    const sig256 = hook.secret ? createHmac('sha256', hook.secret).update(content).digest('hex') : '';
    const sig1 = hook.secret ? createHmac('sha1', hook.secret).update(content).digest('hex') : '';
    const event = eventType === 'push' ? 'push' : 'issue_comment';
    const form = hook.contentType === 'form';
    const body = form ? goEncodeQuery(new URLSearchParams({ payload: content })) : content;
    const headers: Record<string, string> = {
      'User-Agent': 'Go-http-client/1.1',
      'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json',
      'X-Gitea-Delivery': uuid,
      'X-Gitea-Event': event,
      'X-Gitea-Event-Type': eventType,
      'X-Gitea-Signature': sig256,
      'X-Gogs-Delivery': uuid,
      'X-Gogs-Event': event,
      'X-Gogs-Event-Type': eventType,
      'X-Gogs-Signature': sig256,
      'X-Hub-Signature': `sha1=${sig1}`,
      'X-Hub-Signature-256': `sha256=${sig256}`,
      'X-GitHub-Delivery': uuid,
      'X-GitHub-Event': event,
      'X-GitHub-Event-Type': eventType,
    };
    if (hook.authorizationHeader) headers.Authorization = hook.authorizationHeader;
    const record: Delivery = {
      id: ++this.seq,
      uuid,
      hookId: hook.id,
      repo,
      url: hook.url,
      event,
      eventType,
      action,
      requestHeaders: headers,
      body,
      status: null,
      responseBody: '',
      error: null,
      ok: false,
      at: new Date().toISOString(),
    };
    this.deliveries.push(record);
    if (!GITEA_PAYLOAD_TYPES.has(hook.type)) {
      record.error = `hook type ${hook.type} is not delivered by the stand-in`;
      return;
    }
    try {
      const res = await post(hook.url, headers, body);
      record.status = res.status;
      record.responseBody = res.body.slice(0, 4096);
      record.ok = res.status >= 200 && res.status < 300;
    } catch (err) {
      record.error = `Delivery: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}

function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error(`invalid URL ${JSON.stringify(url)}`));
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), 'Accept-Encoding': 'gzip' },
        timeout: DELIVER_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${DELIVER_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
