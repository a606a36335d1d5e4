// The registry stand-in answers as the OCI distribution spec says a registry refuses a pull:
// each repository kind with its status, error code and headers (testbed/README.md).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_MESSAGE, startRegistry, type Registry } from '../../../testbed/registry/main.js';

let registry: Registry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(() => registry.close());

async function get(path: string, method = 'GET') {
  const res = await fetch(`http://${registry.host}${path}`, { method });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('the registry stand-in', () => {
  it('answers the version check, so a client goes on to ask for the manifest', async () => {
    const r = await get('/v2/');
    expect(r.status).toBe(200);
    expect(r.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it.each([
    ['ratelimited', 429, 'TOOMANYREQUESTS', RATE_LIMIT_MESSAGE],
    ['private', 401, 'UNAUTHORIZED', 'authentication required'],
    ['denied', 403, 'DENIED', 'requested access to the resource is denied'],
    ['missing', 404, 'MANIFEST_UNKNOWN', 'manifest unknown'],
    ['other', 404, 'NAME_UNKNOWN', 'repository name not known to registry'],
  ])('%s/…: %i %s', async (kind, status, code, message) => {
    const r = await get(`/v2/${kind}/app/manifests/1.2`);
    expect(r.status).toBe(status);
    expect(r.body.errors[0]).toMatchObject({ code, message });
    const head = await get(`/v2/${kind}/app/manifests/1.2`, 'HEAD');
    expect(head.status).toBe(status);
    expect(head.body).toBeUndefined();
  });

  it('says how to log in on a 401 and when to come back on a 429, and logs every request', async () => {
    expect((await get('/v2/private/app/manifests/1')).headers.get('www-authenticate')).toMatch(/^Basic realm="/);
    expect((await get('/v2/ratelimited/app/manifests/1')).headers.get('retry-after')).toBe('3600');
    expect(registry.requests).toContainEqual({ method: 'HEAD', path: '/v2/missing/app/manifests/1.2' });
  });

  it('never answers for a silent repository', async () => {
    const aborted = fetch(`http://${registry.host}/v2/silent/app/manifests/1`, { signal: AbortSignal.timeout(300) });
    await expect(aborted).rejects.toThrow();
  });
});

describe('kept/: a repository that takes a push and serves it back', () => {
  const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

  it('takes a blob as docker push sends it (POST, PATCH, PUT ?digest) and a manifest, then serves both', async () => {
    const base = `http://${registry.host}/v2/kept/app`;
    const layer = Buffer.from('a layer');
    expect((await fetch(`${base}/blobs/${sha(layer)}`, { method: 'HEAD' })).status).toBe(404);
    const started = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
    expect(started.status).toBe(202);
    const session = started.headers.get('location')!;
    const patched = await fetch(session, { method: 'PATCH', body: layer });
    expect(patched.status).toBe(202);
    expect(patched.headers.get('range')).toBe(`0-${layer.length - 1}`);
    const wrong = await fetch(`${patched.headers.get('location')}?digest=${sha('other')}`, { method: 'PUT' });
    expect(wrong.status).toBe(400);
    const put = await fetch(`${patched.headers.get('location')}?digest=${sha(layer)}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(sha(layer));
    const head = await fetch(`${base}/blobs/${sha(layer)}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(layer.length));

    const manifest = JSON.stringify({ schemaVersion: 2, layers: [{ digest: sha(layer), size: layer.length }] });
    const type = 'application/vnd.docker.distribution.manifest.v2+json';
    const pushed = await fetch(`${base}/manifests/1`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': type },
    });
    expect(pushed.status).toBe(201);
    expect(pushed.headers.get('docker-content-digest')).toBe(sha(manifest));
    for (const ref of ['1', sha(manifest)]) {
      const got = await fetch(`${base}/manifests/${ref}`);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe(type);
      expect(await got.text()).toBe(manifest);
    }
    // Other kinds still refuse, whatever was pushed here.
    expect((await fetch(`http://${registry.host}/v2/denied/app/manifests/1`)).status).toBe(403);
  });
});
