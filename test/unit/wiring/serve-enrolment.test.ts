// Enrolment without a restart, on a real `cc-ci serve` process (dist/, npm run build first) with
// the stand-in abra and the stand-in forge on 127.0.0.1: a SIGHUP after a new repository is added
// to forge.repos enrols it; `{org: …}` enrols the org's recipes and leaves out a repository
// without compose.yml and an archived one; a changed setting other than forge.repos is named as
// needing a restart; a config that no longer validates is logged and the one in effect stays.
// Push runs are off, so nothing runs (no Docker is needed); the set is read from /api/recipes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../../../testbed/forge/server.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'cc-ci-serve-enrolment-'));
const configFile = join(dir, 'cc-ci.yml');
const logFile = join(dir, 'serve.log');
let forge: Forge;
let proc: ResultPromise<{ reject: false }>;
let url: string;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  for (const deadline = Date.now() + ms; ;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; serve's log:\n${serveLog().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const serveLog = () => readFileSync(logFile, 'utf8');
const logged = (text: string) => serveLog().includes(text) || undefined;

function writeConfig(repos: string, capacity = 1): void {
  writeFileSync(
    configFile,
    [
      // Push runs off: a newly enrolled recipe would otherwise queue a run, which needs Docker.
      `forge: {type: gitea, url: "${forge.url}", org: coop-cloud, repos: ${repos}, pollInterval: 1h, pushRuns: false}`,
      `swarm: {server: default, domain: ci.test, abraDir: ./abra, abra: ${join(repoRoot, 'testbed/bin/abra')}}`,
      `runner: {capacity: ${capacity}}`,
      'store: ./store',
      'recipesDir: ./recipes',
      `dashboard: {listen: "${new URL(url).host}"}`,
    ].join('\n'),
  );
}

/** The enrolled repositories as /api/recipes shows them. */
async function enrolled(): Promise<string[]> {
  const body = (await (await fetch(`${url}/api/recipes`)).json()) as { recipes: Array<{ repo: string | null }> };
  return body.recipes.flatMap((r) => (r.repo ? [r.repo] : [])).sort();
}

async function enrolledBecomes(want: string[]): Promise<void> {
  await until(`enrolled = ${want.join(', ')}`, async () =>
    JSON.stringify(await enrolled()) === JSON.stringify(want) ? true : undefined,
  );
}

beforeAll(async () => {
  forge = await startForge({ seed: 'demo' });
  const c = forge.control;
  await c.importFixture('custom-html', { owner: 'coop-cloud', name: 'keycloak' });
  await c.importFixture('custom-html', { owner: 'coop-cloud', name: 'docs' });
  await c.commitOnBranch('coop-cloud/docs', 'main', { 'compose.yml': null }, 'not a recipe');
  await c.importFixture('custom-html', { owner: 'coop-cloud', name: 'old-recipe' });
  c.setArchived('coop-cloud/old-recipe', true);
  await c.importFixture('custom-html', { owner: 'maintainer', name: 'extra' });
  mkdirSync(join(dir, 'abra', 'servers', 'default'), { recursive: true });
  mkdirSync(join(dir, 'recipes'));
  url = `http://127.0.0.1:${await freePort()}`;
  writeConfig('[coop-cloud/custom-html]');
  proc = execa(process.execPath, [join(repoRoot, 'dist/src/cli.js'), 'serve', '--config', configFile], {
    reject: false,
    env: { CCCI_FORGE_TOKEN: forge.seeded!.tokens['cc-ci-bot']!, CCCI_ADMIN_TOKEN: 'a'.repeat(32) },
    stdout: { file: logFile },
    stderr: { file: logFile, append: true },
  });
  await until('serve to answer', async () => ((await fetch(`${url}/healthz`)).status > 0 ? true : undefined));
}, 60_000);

afterAll(async () => {
  proc?.kill('SIGTERM');
  await proc;
  await forge?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cc-ci serve: enrolment without a restart', () => {
  it('SIGHUP with a new repository in forge.repos enrols it; the process keeps serving', async () => {
    expect(await enrolled()).toEqual(['coop-cloud/custom-html']);
    writeConfig('[coop-cloud/custom-html, Maintainer/Extra]');
    proc.kill('SIGHUP');
    await enrolledBecomes(['coop-cloud/custom-html', 'maintainer/extra']);
    await until('the reload line', async () => logged('config reloaded (SIGHUP): forge.repos takes effect now'));
    expect(proc.exitCode).toBeNull();
  });

  it('{org: …} enrols the org recipes, without one lacking compose.yml or an archived one', async () => {
    writeConfig('[{org: coop-cloud}, maintainer/extra]');
    proc.kill('SIGHUP');
    await enrolledBecomes(['coop-cloud/custom-html', 'coop-cloud/keycloak', 'maintainer/extra']);
    await until('the discovery line', async () =>
      logged('left out: coop-cloud/docs (no compose.yml), coop-cloud/old-recipe (archived)'),
    );
  });

  it('names other changed settings as needing a restart; an invalid file keeps the config in effect', async () => {
    writeConfig('[{org: coop-cloud}, maintainer/extra]', 3);
    proc.kill('SIGHUP');
    await until('the restart line', async () =>
      logged('these changed settings need a restart of cc-ci serve: runner.capacity'),
    );
    writeConfig('[{org: coop-cloud}, not-a-repo]');
    proc.kill('SIGHUP');
    await until('the refusal', async () => logged('so the config read before stays in effect'));
    expect(serveLog()).toContain('forge.repos.1: expected owner/name');
    expect(await enrolled()).toEqual(['coop-cloud/custom-html', 'coop-cloud/keycloak', 'maintainer/extra']);
    expect(proc.exitCode).toBeNull();
  });
});
