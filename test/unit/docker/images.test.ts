// The images adapter against an Engine API stand-in on 127.0.0.1 (dockerode speaks HTTP to it as to
// dockerd): what it reads of images, containers and services, and how it removes an image: every
// name, never forced, a refusal (409) as "in use", a name already gone (404) skipped.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerImages } from '../../../src/docker/images.js';

interface Engine {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Answers each `METHOD path` from the table (JSON bodies), 404 otherwise; records every request. */
async function engine(table: Record<string, [number, unknown]>): Promise<Engine> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const line = `${req.method} ${decodeURIComponent(req.url ?? '')}`;
    requests.push(line);
    const key = Object.keys(table).find((k) => line === k || line.startsWith(`${k}?`));
    const [status, body] = key ? table[key]! : [404, { message: 'no such thing' }];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let running: Engine | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function hostWith(table: Record<string, [number, unknown]>) {
  running = await engine(table);
  const [host, port] = running.url.split(':');
  return { images: dockerImages(new Docker({ host, port: Number(port) })), requests: running.requests };
}

describe('the images adapter', () => {
  it('reads tags, digests, build time and size; drops the <none> names older engines write', async () => {
    const { images } = await hostWith({
      'GET /images/json': [
        200,
        [
          {
            Id: 'sha256:aa',
            RepoTags: ['nginx:1.25'],
            RepoDigests: ['nginx@sha256:d1'],
            Created: 1_700_000_000,
            Size: 1234,
          },
          { Id: 'sha256:bb', RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'], Created: 5, Size: 1 },
          { Id: 'sha256:cc', RepoTags: null, RepoDigests: null, Created: 6, Size: 2 },
        ],
      ],
    });
    expect(await images.images()).toEqual([
      { id: 'sha256:aa', tags: ['nginx:1.25'], digests: ['nginx@sha256:d1'], created: 1_700_000_000_000, size: 1234 },
      { id: 'sha256:bb', tags: [], digests: [], created: 5000, size: 1 },
      { id: 'sha256:cc', tags: [], digests: [], created: 6000, size: 2 },
    ]);
  });

  it('what uses images: every container (stopped too), every service; a node in no swarm has none', async () => {
    const { images, requests } = await hostWith({
      'GET /containers/json': [200, [{ ImageID: 'sha256:aa' }, { ImageID: 'sha256:bb' }]],
      'GET /services': [503, { message: 'This node is not a swarm manager.' }],
    });
    expect(await images.inUse()).toEqual({ containerImages: new Set(['sha256:aa', 'sha256:bb']), serviceImages: [] });
    expect(requests.find((r) => r.startsWith('GET /containers/json'))).toContain('all=true');

    await running!.close();
    const swarm = await hostWith({
      'GET /containers/json': [200, []],
      'GET /services': [200, [{ Spec: { TaskTemplate: { ContainerSpec: { Image: 'nginx:1.27@sha256:d2' } } } }]],
    });
    expect((await swarm.images.inUse()).serviceImages).toEqual(['nginx:1.27@sha256:d2']);
  });

  it('removes every name of the image, never forced; a name already gone is skipped', async () => {
    const { images, requests } = await hostWith({
      'DELETE /images/nginx:1.25': [200, [{ Untagged: 'nginx:1.25' }]],
      'DELETE /images/nginx@sha256:d1': [404, { message: 'No such image' }],
    });
    const image = { id: 'sha256:aa', tags: ['nginx:1.25'], digests: ['nginx@sha256:d1'], created: 0, size: 1 };
    expect(await images.remove(image)).toBe('removed');
    const deletes = requests.filter((r) => r.startsWith('DELETE'));
    expect(deletes.map((r) => r.split('?')[0])).toEqual([
      'DELETE /images/nginx:1.25',
      'DELETE /images/nginx@sha256:d1',
    ]);
    expect(deletes.every((r) => r.includes('force=false'))).toBe(true);
  });

  it('an image a container took meanwhile is "in-use"; a dangling one goes by its id; one gone is "gone"', async () => {
    const { images } = await hostWith({
      'DELETE /images/redis:7': [409, { message: 'conflict: unable to remove repository reference (must force)' }],
      'DELETE /images/sha256:dd': [200, [{ Deleted: 'sha256:dd' }]],
    });
    const none = { digests: [], created: 0, size: 1 };
    expect(await images.remove({ ...none, id: 'sha256:cc', tags: ['redis:7'] })).toBe('in-use');
    expect(await images.remove({ ...none, id: 'sha256:dd', tags: [] })).toBe('removed');
    expect(await images.remove({ ...none, id: 'sha256:ee', tags: [] })).toBe('gone');
  });

  it('any other failure is DOCKER_FAILED naming the image', async () => {
    const { images } = await hostWith({ 'DELETE /images/redis:7': [500, { message: 'driver failed' }] });
    await expect(
      images.remove({ id: 'sha256:cc', tags: ['redis:7'], digests: [], created: 0, size: 1 }),
    ).rejects.toMatchObject({ code: 'DOCKER_FAILED', message: expect.stringContaining('removing image redis:7') });
  });
});
