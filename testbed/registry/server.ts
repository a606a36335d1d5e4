// startRegistry: a container registry stand-in on 127.0.0.1 that refuses every pull, each
// repository in its own way, answering as the Docker Registry HTTP API V2 (the OCI distribution
// spec) says a registry answers. Docker pulls from a loopback registry over plain HTTP without any
// daemon configuration, so a swarm service whose image is `<host>/<repository>:<tag>` makes the
// real dockerd meet a real registry error. The first path part of the repository picks the answer
// (README.md has the table and where each answer comes from).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the registry answers for a repository whose name starts with `<kind>/`. */
export type RegistryRefusal = 'ratelimited' | 'private' | 'denied' | 'missing' | 'silent';

export const RATE_LIMIT_MESSAGE =
  'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: ' +
  'https://www.docker.com/increase-rate-limit';

export interface LoggedRegistryRequest {
  method: string;
  path: string;
}

export interface Registry {
  /** `127.0.0.1:<port>`: what an image reference starts with. */
  host: string;
  /** Every request, in order (the tests check that the node asked). */
  requests: LoggedRegistryRequest[];
  close(): Promise<void>;
}

const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/([^/]+)$/;

export async function startRegistry(opts: { port?: number } = {}): Promise<Registry> {
  const requests: LoggedRegistryRequest[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push({ method: req.method ?? '', path });
    answer(req.method ?? '', path, host, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Res = http.ServerResponse;

function answer(method: string, path: string, host: string, res: Res): void {
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  if (method !== 'GET' && method !== 'HEAD')
    return errors(res, method, 405, 'UNSUPPORTED', 'The operation is unsupported.');
  // The version check every client starts with: this registry needs no login to be talked to.
  if (path === '/v2/' || path === '/v2') return json(res, method, 200, {});
  const m = MANIFEST.exec(path) ?? BLOB.exec(path);
  if (!m) return errors(res, method, 404, 'NOT_FOUND', 'Not found.');
  const repository = m[1]!;
  const kind = repository.split('/')[0];
  if (kind === 'ratelimited') {
    res.setHeader('Retry-After', '3600');
    return errors(res, method, 429, 'TOOMANYREQUESTS', RATE_LIMIT_MESSAGE);
  }
  if (kind === 'private') {
    res.setHeader('WWW-Authenticate', `Basic realm="http://${host}/v2/",service="${host}"`);
    return errors(res, method, 401, 'UNAUTHORIZED', 'authentication required', [
      { Type: 'repository', Name: repository, Action: 'pull' },
    ]);
  }
  if (kind === 'denied')
    return errors(res, method, 403, 'DENIED', 'requested access to the resource is denied', [
      { Type: 'repository', Name: repository, Action: 'pull' },
    ]);
  // A registry that takes the request and never answers: the client's own time limit ends it.
  if (kind === 'silent') return;
  if (kind === 'missing' && MANIFEST.test(path))
    return errors(res, method, 404, 'MANIFEST_UNKNOWN', 'manifest unknown', { Tag: m[2] });
  return errors(res, method, 404, 'NAME_UNKNOWN', 'repository name not known to registry', { name: repository });
}

function errors(res: Res, method: string, status: number, code: string, message: string, detail?: unknown): void {
  json(res, method, status, { errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] });
}

function json(res: Res, method: string, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(method === 'HEAD' ? undefined : text);
}
