// serve with `forge.repos: [{org: coop-cloud}]` against the stand-in forge, a fake executor and a
// clock moved by hand: the org's recipes are discovered at start and each, never run before, gets
// one run of its default branch (push runs), the generic suite with no spec; a recipe added to
// the org is enrolled at the hourly discovery and polled at once; one without compose.yml never is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../../src/queue/store.js';
import type { Serving } from '../../../src/server/serve.js';
import { startForge, type Forge } from '../../../testbed/forge/server.js';
import { FakeClock } from '../../support/fake-clock.js';
import type { FakeExecutor } from '../../support/fake-executor.js';
import { serveOnForge } from '../../support/serve-on-forge.js';

const HOUR = 3_600_000;
let forge: Forge;
let serving: Serving;
let executor: FakeExecutor;
let store: RunStore;
const clock = new FakeClock(new Date().toISOString());

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; ;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  await forge.control.importFixture('custom-html', { owner: 'coop-cloud', name: 'docs' });
  await forge.control.commitOnBranch('coop-cloud/docs', 'main', { 'compose.yml': null }, 'not a recipe');
  ({ store, executor, serving } = await serveOnForge({
    forge,
    prefix: 'cc-ci-serve-org-',
    clock,
    config: [
      `forge: {type: gitea, url: "${forge.url}", org: coop-cloud, repos: [{org: coop-cloud}], pollInterval: 1h}`,
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}',
      'runner: {capacity: 4}',
      'store: ./store',
      'recipesDir: ./recipes',
      'dashboard: {listen: "127.0.0.1:0"}',
    ],
    dirs: ['recipes'],
  }));
});

afterAll(async () => {
  await serving?.stop('the test is done');
  await forge?.close();
});

describe('serve with an org in forge.repos', () => {
  it("enrols the org's recipes at start, and each one never run gets a run of its default branch", async () => {
    await until('the discovery', () => serving.enrolled().includes('coop-cloud/custom-html'));
    expect(serving.enrolled()).toEqual(['coop-cloud/custom-html']);
    clock.advance(0);
    const first = await until('the first run', () => executor.started[0]);
    expect(first.run).toMatchObject({
      recipe: 'custom-html',
      trigger: { kind: 'push', forgeRepo: 'coop-cloud/custom-html' },
    });
    first.finish('pass');
    await until('the first run to end', () => store.getRun(first.run.id)?.state === 'passed');
  });

  it('a recipe added to the org is enrolled at the next hourly discovery and run at once', async () => {
    await forge.control.importFixture('custom-html', { owner: 'coop-cloud', name: 'keycloak' });
    const head = (await forge.control.handle('coop-cloud/keycloak')).head;
    clock.advance(HOUR);
    await until('keycloak enrolled', () => serving.enrolled().includes('coop-cloud/keycloak'));
    clock.advance(0);
    const run = await until('the keycloak run', () => executor.started.find((e) => e.run.recipe === 'keycloak'));
    expect(run.run).toMatchObject({ sha: head, trigger: { kind: 'push', forgeRepo: 'coop-cloud/keycloak' } });
    expect(serving.enrolled()).not.toContain('coop-cloud/docs');
    run.finish('pass');
    await until('the run to end', () => store.getRun(run.run.id)?.state === 'passed');
    // The scheduler reads the store once more when the run's process has gone: before the stop closes it.
    await new Promise((r) => setTimeout(r, 300));
  });
});
