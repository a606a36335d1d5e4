// A task whose image could not be pulled says only "No such image": the convergence wait asks the
// image's registry why and reports that as a fact, which blame.ts judges: a tag the registry does
// not have is the recipe's; a rate limit, a login or a registry that does not answer is not.
import { describe, expect, it } from 'vitest';
import { ImagePullError, imagesNotPulled, pullMessage, waitForConvergence } from '../../../src/docker/converge.js';
import { readRegistryAnswer } from '../../../src/docker/registry-answer.js';
import type { ServiceState, TaskState } from '../../../src/docker/swarm-api.js';
import { blame } from '../../../src/model/blame.js';
import { FakeSwarm } from '../../support/fake-swarm.js';

const IMAGE = '127.0.0.1:5000/ratelimited/app:1';
const RATE_LIMIT =
  'toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading';

function unpullable(swarm: FakeSwarm): void {
  swarm.deploy('st', [
    { name: 'db', image: 'postgres:15' },
    { name: 'app', image: IMAGE, tasks: 'unpullable' },
  ]);
}

describe('an image that could not be pulled', () => {
  it("ends the wait at once on a rate limit: error IMAGE_PULL_FAILED, with the registry's words", async () => {
    const swarm = new FakeSwarm();
    unpullable(swarm);
    swarm.registry(IMAGE, { answer: 'rate-limited', message: RATE_LIMIT, status: 429 });
    const started = Date.now();
    const err = await waitForConvergence(swarm, 'st', { deadlineMs: 20_000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(ImagePullError);
    expect(err).toMatchObject({ fact: { what: 'image-not-pulled', image: IMAGE, services: ['st_app'] } });
    const b = blame(err);
    expect(b).toMatchObject({ status: 'error', code: 'IMAGE_PULL_FAILED' });
    expect(b.message).toContain(`image ${IMAGE} of service st_app could not be pulled`);
    expect(b.message).toContain("the registry's pull rate limit was hit");
    expect(b.message).toContain(RATE_LIMIT);
    expect(swarm.calls.filter((c) => c.method === 'askRegistry').map((c) => c.args[0])).toEqual([IMAGE]);
  });

  it("is the recipe's fail naming the image when the registry has no such tag", async () => {
    const swarm = new FakeSwarm();
    unpullable(swarm);
    swarm.registry(IMAGE, { answer: 'not-found', message: 'manifest unknown: manifest unknown', status: 404 });
    const b = blame(await waitForConvergence(swarm, 'st', { deadlineMs: 20_000 }).catch((e: unknown) => e));
    expect(b).toMatchObject({ status: 'fail', code: 'RECIPE_BROKEN' });
    expect(b.message).toContain(`image ${IMAGE} of service st_app does not exist`);
    expect(b.message).toContain('manifest unknown');
  });

  it('is an error when the registry wants a login', async () => {
    const swarm = new FakeSwarm();
    unpullable(swarm);
    swarm.registry(IMAGE, { answer: 'unauthorized', message: 'unauthorized: authentication required', status: 401 });
    const b = blame(await waitForConvergence(swarm, 'st', { deadlineMs: 20_000 }).catch((e: unknown) => e));
    expect(b).toMatchObject({ status: 'error', code: 'IMAGE_PULL_FAILED' });
    expect(b.message).toContain('docker login');
  });

  it('lets swarm retry a registry that could not be reached, and reports the pull failure at the end', async () => {
    const swarm = new FakeSwarm();
    unpullable(swarm);
    const refused = 'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused';
    swarm.registry(IMAGE, { answer: 'unreachable', message: refused, status: 500 });
    const started = Date.now();
    const err = await waitForConvergence(swarm, 'st', { deadlineMs: 1_200 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_200);
    expect(blame(err)).toMatchObject({ status: 'error', code: 'IMAGE_PULL_FAILED' });
    expect(blame(err).message).toContain(`its registry could not be reached (${refused})`);
    // Asked once for the whole wait: a rate-limited registry is not asked again and again.
    expect(swarm.count('askRegistry')).toBe(1);
  });

  it('leaves a stack that is only slow as NOT_CONVERGED, without asking any registry', async () => {
    const swarm = new FakeSwarm();
    swarm.deploy('st', [{ name: 'app', image: IMAGE, tasks: 'pending' }]);
    const b = blame(await waitForConvergence(swarm, 'st', { deadlineMs: 500 }).catch((e: unknown) => e));
    expect(b).toMatchObject({ status: 'fail', code: 'NOT_CONVERGED' });
    expect(swarm.count('askRegistry')).toBe(0);
  });
});

describe('imagesNotPulled', () => {
  const svc = (name: string, template = 'new'): ServiceState => ({
    id: name,
    name,
    createdAt: '',
    labels: {},
    running: 0,
    desired: 1,
    template,
  });
  const task = (service: string, state: string, at: number, error?: string, template = 'new'): TaskState => ({
    id: `${service}${at}`,
    serviceId: service,
    state,
    desiredState: state === 'running' || state === 'pending' ? 'running' : 'shutdown',
    message: state,
    error,
    timestamp: new Date(at).toISOString(),
    template,
  });
  const noSuch = (image: string) => `No such image: ${image}`;

  it("names the image of a service whose newest failed task could not get it, and no other's", () => {
    const found = imagesNotPulled(
      [svc('a'), svc('b'), svc('c'), svc('d')],
      [
        task('a', 'rejected', 1, noSuch('reg/a:1')),
        task('a', 'pending', 2),
        // It runs now: the pull worked on a later try.
        task('b', 'rejected', 1, noSuch('reg/b:1')),
        task('b', 'running', 2),
        // Its newest failure is its own crash, not the image.
        task('c', 'rejected', 1, noSuch('reg/c:1')),
        task('c', 'failed', 2, 'task: non-zero exit (1)'),
        // An older template's failure (the image before an upgrade) is not this deploy's.
        task('d', 'rejected', 1, noSuch('reg/d:0'), 'old'),
      ],
    );
    expect([...found]).toEqual([['a', 'reg/a:1']]);
  });
});

describe("reading the registry's answer as the Engine passes it on", () => {
  it.each([
    [429, 'toomanyrequests: You have reached your pull rate limit.', 'rate-limited'],
    [500, 'toomanyrequests: Too Many Requests (HAP429).', 'rate-limited'],
    [401, 'unauthorized: authentication required', 'unauthorized'],
    [403, 'denied: requested access to the resource is denied', 'unauthorized'],
    [500, 'Head "https://reg/v2/x/manifests/1": no basic auth credentials', 'unauthorized'],
    [404, 'manifest unknown: manifest unknown', 'not-found'],
    [404, 'name unknown: repository name not known to registry', 'not-found'],
    [500, 'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused', 'unreachable'],
    [500, 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host', 'unreachable'],
    [500, 'received unexpected HTTP status: 503 Service Unavailable', 'unreachable'],
  ] as const)('HTTP %i %s → %s', (status, message, answer) => {
    expect(readRegistryAnswer(status, message)).toBe(answer);
  });
});

describe('pullMessage', () => {
  it("quotes the first line of the registry's words, cut to 300 characters", () => {
    const page = `<html><body>${'x'.repeat(400)}</body></html>\n<p>second line</p>`;
    const m = pullMessage('reg/app:1', ['st_app'], { answer: 'unreachable', message: page, status: 500 });
    expect(m).toContain(page.slice(0, 300));
    expect(m).not.toContain(page.slice(0, 301));
    expect(m).not.toContain('second line');
  });
});
