// startRegistry: a container registry stand-in on 127.0.0.1 that refuses every pull, each
// repository in its own way, answering as the Docker Registry HTTP API V2 (the OCI distribution
// spec) says a registry answers. Docker pulls from a loopback registry over plain HTTP without any
// daemon configuration, so a swarm service whose image is `<host>/<repository>:<tag>` makes the
// real dockerd meet a real registry error. The first path part of the repository picks the answer
// (README.md has the table and where each answer comes from). Repositories under `kept/` are the
// exception: they take a `docker push` and serve it back, so a test can give a locally built image
// the RepoDigests of an image that came from a registry.
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the registry answers for a repository whose name starts with `<kind>/`. */
export type RegistryRefusal = 'ratelimited' | 'private' | 'denied' | 'missing' | 'silent';
/** The one kind that refuses nothing: `kept/<name>` takes pushes and serves them back (image retention's tests). */
export const KEPT = 'kept';

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
  const kept = keptStore();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    const path = url.pathname;
    requests.push({ method: req.method ?? '', path });
    if (/^\/v2\/kept\//.test(path)) void keep(req, url, host, kept, res);
    else answer(req.method ?? '', path, host, res);
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

interface KeptStore {
  blobs: Map<string, Buffer>;
  uploads: Map<string, Buffer[]>;
  /** `<repository>:<tag or digest>` → the manifest and its media type. */
  manifests: Map<string, { body: Buffer; type: string; digest: string }>;
}

function keptStore(): KeptStore {
  return { blobs: new Map(), uploads: new Map(), manifests: new Map() };
}

const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/;

/** A `kept/` repository: the push and pull endpoints of the distribution spec, in memory. */
async function keep(req: http.IncomingMessage, url: URL, host: string, store: KeptStore, res: Res): Promise<void> {
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const method = req.method ?? '';
  const path = url.pathname;
  const upload = UPLOAD.exec(path);
  if (upload) {
    const [, repository, id] = upload;
    if (method === 'POST') {
      const session = randomUUID();
      store.uploads.set(session, []);
      return accepted(res, `http://${host}/v2/${repository}/blobs/uploads/${session}`, session, 0);
    }
    const parts = store.uploads.get(id!);
    if (!parts) return errors(res, method, 404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
    parts.push(body);
    const size = parts.reduce((n, p) => n + p.length, 0);
    if (method === 'PATCH') return accepted(res, `http://${host}${path}`, id!, size);
    if (method === 'PUT') {
      const data = Buffer.concat(parts);
      const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      if (url.searchParams.get('digest') !== digest)
        return errors(res, method, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
      store.uploads.delete(id!);
      store.blobs.set(digest, data);
      res.writeHead(201, {
        Location: `http://${host}/v2/${repository}/blobs/${digest}`,
        'Docker-Content-Digest': digest,
      });
      return void res.end();
    }
    return errors(res, method, 405, 'UNSUPPORTED', 'The operation is unsupported.');
  }
  const blob = BLOB.exec(path);
  if (blob && (method === 'GET' || method === 'HEAD')) {
    const data = store.blobs.get(blob[2]!);
    if (!data) return errors(res, method, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    res.writeHead(200, { 'Content-Length': data.length, 'Docker-Content-Digest': blob[2]! });
    return void res.end(method === 'HEAD' ? undefined : data);
  }
  const manifest = MANIFEST.exec(path);
  if (manifest && method === 'PUT') {
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const entry = { body, type: req.headers['content-type'] ?? 'application/json', digest };
    store.manifests.set(`${manifest[1]}:${manifest[2]}`, entry);
    store.manifests.set(`${manifest[1]}:${digest}`, entry);
    res.writeHead(201, {
      Location: `http://${host}/v2/${manifest[1]}/manifests/${digest}`,
      'Docker-Content-Digest': digest,
    });
    return void res.end();
  }
  if (manifest && (method === 'GET' || method === 'HEAD')) {
    const entry = store.manifests.get(`${manifest[1]}:${manifest[2]}`);
    if (!entry) return errors(res, method, 404, 'MANIFEST_UNKNOWN', 'manifest unknown', { Tag: manifest[2] });
    res.writeHead(200, {
      'Content-Type': entry.type,
      'Content-Length': entry.body.length,
      'Docker-Content-Digest': entry.digest,
    });
    return void res.end(method === 'HEAD' ? undefined : entry.body);
  }
  return errors(res, method, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
}

function accepted(res: Res, location: string, session: string, size: number): void {
  res.writeHead(202, {
    Location: location,
    'Docker-Upload-UUID': session,
    Range: `0-${Math.max(0, size - 1)}`,
    'Content-Length': 0,
  });
  res.end();
}
