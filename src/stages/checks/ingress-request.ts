// An HTTP request to an app through the swarm's ingress: the connection goes to the configured
// ingress address, the Host header (and TLS SNI) name the app, as traefik routes it.
import http from 'node:http';
import https from 'node:https';

export interface IngressResponse {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  durationMs: number;
}

const MAX_BODY = 1024 * 1024;

export function requestViaIngress(ingress: string, domain: string, path: string, timeoutMs = 10_000): Promise<IngressResponse> {
  const target = new URL(ingress);
  const secure = target.protocol === 'https:';
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({
      host: target.hostname,
      port: target.port || (secure ? 443 : 80),
      method: 'GET',
      path,
      headers: { host: domain, 'user-agent': 'cc-ci', accept: 'text/html,*/*' },
      servername: secure ? domain : undefined,
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => { if (size < MAX_BODY) { chunks.push(c); size += c.length; } });
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        body: Buffer.concat(chunks).toString('utf8'),
        headers: res.headers,
        durationMs: Date.now() - started,
      }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** How a visitor reaches the app: the ingress's scheme and port with the app's domain, e.g. `http://cust-1a2b3c.ci.test:8480`. */
export function appBaseUrl(ingress: string, domain: string): string {
  const target = new URL(ingress);
  return `${target.protocol}//${domain}${target.port ? `:${target.port}` : ''}`;
}

export function htmlTitle(body: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body);
  return m?.[1]?.replace(/\s+/g, ' ').trim();
}
