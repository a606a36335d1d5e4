// A tiny real HTTP server on 127.0.0.1 standing in for the swarm's ingress (traefik): it routes
// by the Host header, as traefik does, and answers 404 for a host it has no route for. Checks
// reach it through requestViaIngress exactly as they reach the real ingress.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IngressAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** How an app answers a path; `undefined` is a 404. A promise that never settles is an app that hangs. */
export type AppRoute = (path: string) => IngressAnswer | undefined | Promise<IngressAnswer | undefined>;

export interface FakeIngress {
  /** The ingress address for `config.swarm.ingress`. */
  url: string;
  /** Every request, with the Host header as sent (without a port). */
  requests: Array<{ host: string; path: string }>;
  route(domain: string, app: AppRoute): void;
  close(): Promise<void>;
}

/** An app that answers every path with a page titled `title` (and `body` in it). */
export function page(title: string, body = ''): AppRoute {
  return () => ({ status: 200, body: `<html><head><title>${title}</title></head><body>${body}</body></html>` });
}

export async function startIngress(): Promise<FakeIngress> {
  const routes = new Map<string, AppRoute>();
  const requests: FakeIngress['requests'] = [];
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const path = req.url ?? '/';
    requests.push({ host, path });
    const app = routes.get(host);
    Promise.resolve(app ? app(path) : undefined).then(
      (answer) => {
        const a = answer ?? { status: 404, body: '404 page not found' };
        res.writeHead(a.status, { 'content-type': 'text/html', ...a.headers });
        res.end(a.body ?? '');
      },
      () => {
        res.writeHead(502);
        res.end('Bad Gateway');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route: (domain, app) => {
      routes.set(domain, app);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An ingress address where nothing listens: every connection is refused. */
export async function deadIngress(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
