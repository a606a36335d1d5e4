// The alerts besides the forge's issues: each run that ends `errored` is POSTed to the operator's
// URL, each level alert to the chat bridge's, as JSON signed with X-CC-CI-Signature (HMAC-SHA256 of
// the body); a target that fails is tried again and then counted as failed, never blocking; and
// /metrics counts errored runs by code (from the store) and the alerts sent and failed.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import { postSigned } from '../../../src/forge/signed-post.js';
import { RunStore } from '../../../src/queue/store.js';
import { AlertPosts } from '../../../src/schedule/alert-posts.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { FakeRunControl } from '../../support/fake-run-control.js';

const SECRET = 'operator-secret-0123456789abcdef';
let root: string;
let server: Server;
let url: string;
let received: Array<{ path: string; headers: Record<string, string | string[] | undefined>; body: string }>;
/** What the receiver answers, by path. */
let answers: Record<string, number>;
let secrets: SecretRegistry;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cc-ci-alert-posts-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = answers[req.url ?? ''] ?? 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  received = [];
  answers = {};
});

function configWith(alerts: string): Config {
  writeFileSync(
    join(root, 'cc-ci.yml'),
    [
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      'store: ./store',
      'dashboard: {publicUrl: https://ci.example.org}',
      alerts,
    ].join('\n'),
  );
  secrets = new SecretRegistry();
  return loadConfig({ path: join(root, 'cc-ci.yml'), env: { CCCI_ALERT_OPERATOR_SECRET: SECRET }, secrets });
}

function setUp(alerts: string) {
  const config = configWith(alerts);
  const store = new RunStore(':memory:');
  const runs = new FakeRunControl(store, config.store, { idPrefix: 'run' });
  const posts = new AlertPosts({
    config,
    runs,
    log: pino({ level: 'silent' }),
    post: (o, p) => postSigned({ ...o, sleep: async () => {} }, p),
  });
  return { config, store, runs, posts };
}

describe('the operator alert', () => {
  it('an errored run is POSTed, signed; a failed or passed run is not', async () => {
    const { store, runs, posts } = setUp(`alerts: {operator: {url: "${url}/operator"}}`);
    const errored = runs.enqueue({
      recipe: 'custom-html',
      repo: 'https://git.test/a/custom-html.git',
      ref: 'main',
      stages: [],
      keep: false,
      trigger: { kind: 'sweep' },
    });
    runs.finish(errored.id, {
      state: 'errored',
      verdict: 'error',
      error: { code: 'DOCKER_FAILED', message: 'the Docker Engine went away' },
    });
    const failed = runs.enqueue({
      recipe: 'custom-html',
      repo: 'https://git.test/a/custom-html.git',
      ref: 'main',
      pr: 3,
      stages: [],
      keep: false,
      trigger: { kind: 'api' },
    });
    runs.finish(failed.id, { state: 'failed', verdict: 'fail', level: 1 });
    await posts.settled();

    expect(received).toHaveLength(1);
    const [post] = received;
    expect(post!.path).toBe('/operator');
    expect(post!.headers['content-type']).toBe('application/json');
    expect(post!.headers['x-cc-ci-signature']).toBe(createHmac('sha256', SECRET).update(post!.body).digest('hex'));
    expect(JSON.parse(post!.body)).toEqual({
      event: 'run-errored',
      runId: errored.id,
      recipe: 'custom-html',
      ref: 'main',
      code: 'DOCKER_FAILED',
      message: 'the Docker Engine went away',
      runUrl: `https://ci.example.org/runs/${errored.id}`,
    });
    // The secret is masked like every other.
    expect(secrets.redact(`x ${SECRET} y`)).not.toContain(SECRET);
    expect(posts.sentAndFailed()).toEqual({ sent: { webhook: 0, operator: 1 }, failed: { webhook: 0, operator: 0 } });

    const metrics = createMetrics({ store, runs, alerts: posts });
    const text = await metrics.registry.metrics();
    metrics.close();
    expect(text).toContain('ccci_runs_errored_total{code="DOCKER_FAILED"} 1');
    expect(text).toContain('ccci_alerts_sent_total{target="operator"} 1');
    expect(text).toContain('ccci_alerts_failed_total{target="operator"} 0');
    posts.close();
    store.close();
  });

  it('a target that keeps answering 5xx is tried a few times, then counted as failed', async () => {
    answers['/down'] = 503;
    const { runs, posts, store } = setUp(`alerts: {operator: {url: "${url}/down"}}`);
    const run = runs.enqueue({
      recipe: 'custom-html',
      repo: 'https://git.test/a/custom-html.git',
      ref: 'main',
      stages: [],
      keep: false,
      trigger: { kind: 'api' },
    });
    runs.finish(run.id, { state: 'errored', verdict: 'error', error: { code: 'INTERNAL', message: 'a bug' } });
    await posts.settled();
    expect(received).toHaveLength(4);
    expect(posts.sentAndFailed().failed.operator).toBe(1);
    posts.close();
    store.close();
  });
});

describe('the chat bridge', () => {
  it('a level alert is POSTed unsigned when no secret is set, and nothing goes to an unset operator URL', async () => {
    const { runs, posts, store } = setUp(`alerts: {webhook: {url: "${url}/chat"}}`);
    const run = runs.enqueue({
      recipe: 'custom-html',
      repo: 'https://git.test/a/custom-html.git',
      ref: 'main',
      stages: [],
      keep: false,
      trigger: { kind: 'api' },
    });
    runs.finish(run.id, { state: 'errored', verdict: 'error', error: { code: 'INTERNAL', message: 'a bug' } });
    const event = {
      event: 'level-dropped' as const,
      recipe: 'custom-html',
      repo: 'coop-cloud/custom-html',
      verdict: 'fail',
      level: 1,
      previousLevel: 5,
      runUrl: 'https://ci.example.org/runs/r1',
      issueUrl: 'https://git.test/coop-cloud/custom-html/issues/4',
    };
    posts.levelAlert(event);
    await posts.settled();
    expect(received.map((r) => r.path)).toEqual(['/chat']);
    expect(received[0]!.headers['x-cc-ci-signature']).toBeUndefined();
    expect(JSON.parse(received[0]!.body)).toEqual(event);
    posts.close();
    store.close();
  });
});
