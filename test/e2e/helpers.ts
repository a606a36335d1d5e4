// Shared helpers of the end-to-end tests: they run the real `cc-ci` binary against the testbed
// swarm (testbed/up must have run) and look at the swarm with the real Docker API.
//
// Test files run two at a time on the one swarm, so each file has a lane of its own: its own
// swarm.domain (`<file>.ci.test`: its apps are `<short>-<6hex>.<file>.ci.test`, which the
// testbed's ingress routes, and no other lane's janitor matches them, see testAppPattern) and its
// own store (so its own runs, leases and artifacts). Every config these helpers write is the
// lane's: runCli/startCli, configWith, serveConfig (serve-helpers.ts), artifactsDir, testStacks.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import Docker from 'dockerode';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { SwarmDocker } from '../../src/docker/docker.js';
import { stackName, testAppPattern } from '../../src/model/app-name.js';
import { runResultsSchema, type RunResults } from '../../src/model/results.js';
import { makeFixtureRepos, type FixtureRepo } from '../../testbed/fixtures/make-recipes.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const cli = join(repoRoot, 'dist/src/cli.js');
/** The testbed's own config, as an operator would use it (domain ci.test, the shared store). */
export const testbedConfig = join(repoRoot, 'testbed/cc-ci.yml');
export const docker = new SwarmDocker(new Docker({ socketPath: '/var/run/docker.sock' }));

export interface Lane {
  /** The test file's name without `.test.ts`. */
  name: string;
  /** swarm.domain of every config of this file. */
  domain: string;
  /** What a test app's stack name ends with: `_<name>_ci_test`. */
  stackSuffix: string;
  /** The store of every config of this file but serve's (serveConfig gives each server its own). */
  store: string;
  /** The testbed config with this lane's domain and store: what runCli and startCli use. */
  config: string;
}

function makeLane(testFile: string | undefined): Lane {
  const name = basename(testFile ?? 'e2e.test.ts')
    .replace(/\.test\.ts$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const domain = `${name}.ci.test`;
  const dir = mkdtempSync(`/tmp/cc-ci-e2e-${name}-`);
  const doc = parse(readFileSync(testbedConfig, 'utf8'));
  doc.swarm.domain = domain;
  doc.swarm.abra = join(repoRoot, 'testbed/bin/abra');
  doc.recipesDir = join(repoRoot, 'testbed/fixtures/specs');
  doc.store = join(dir, 'store');
  const config = join(dir, 'cc-ci.yml');
  writeFileSync(config, stringify(doc));
  return { name, domain, stackSuffix: `_${stackName(domain)}`, store: doc.store, config };
}

/** This test file's lane (vitest evaluates this module once per test file). */
export const lane = makeLane(expect.getState().testPath);

/** A config like the lane's, with overrides (e.g. the spying abra). */
export function configWith(
  overrides: {
    abra?: string;
    deployTimeout?: string;
    recipesDir?: string;
    keepOnFailure?: number;
  } = {},
): string {
  const doc = parse(readFileSync(lane.config, 'utf8'));
  doc.swarm.abra = overrides.abra ?? join(repoRoot, 'testbed/bin/abra');
  doc.recipesDir = overrides.recipesDir ?? join(repoRoot, 'testbed/fixtures/specs');
  if (overrides.deployTimeout) doc.runner.deployTimeout = overrides.deployTimeout;
  if (overrides.keepOnFailure !== undefined) doc.runner.keepOnFailure = overrides.keepOnFailure;
  const file = join(mkdtempSync('/tmp/cc-ci-cfg-'), 'cc-ci.yml');
  writeFileSync(file, stringify(doc));
  return file;
}

export const spyAbra = join(repoRoot, 'test/e2e/bin/abra-spy');

export async function fixtures(names: string[]): Promise<Record<string, FixtureRepo>> {
  return makeFixtureRepos(mkdtempSync('/tmp/cc-ci-fixtures-'), names);
}

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  results?: RunResults;
}

export function startCli(args: string[]): ResultPromise<{ reject: false }> {
  return execa(process.execPath, [cli, ...args], { reject: false, env: { CCCI_CONFIG: lane.config } });
}

export async function runCli(args: string[]): Promise<CliRun> {
  const r = await startCli(args);
  let results: RunResults | undefined;
  if (args.includes('--json') && r.stdout.trim().startsWith('{'))
    results = runResultsSchema.parse(JSON.parse(r.stdout)); // the published schema holds
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), results };
}

/** Where a run's artifacts are, in the lane's store. */
export function artifactsDir(runId: string): string {
  return join(lane.store, 'runs', runId, 'artifacts');
}

/**
 * Everything of a stack still on the swarm, and its snapshots in the testbed's backup repository, as "kind name"
 * strings.
 */
export async function leftovers(stack: string): Promise<string[]> {
  const r = await docker.resources(stack);
  const swarm = Object.entries(r).flatMap(([kind, names]) => (names as string[]).map((n) => `${kind} ${n}`));
  return [...swarm, ...(await repoSnapshots(stack)).map((s) => `snapshot ${s.short_id}`)];
}

/**
 * The testbed repository's snapshots tagged with a stack, read on the host (not through the bot, as cc-ci does),
 * without a lock.
 */
export async function repoSnapshots(
  tag?: string,
): Promise<Array<{ id: string; short_id: string; tags?: string[]; paths: string[] }>> {
  const r = await execa('restic', [
    '--no-lock',
    '--repo',
    '/var/lib/cc-ci-testbed/backups/restic',
    '--password-file',
    '/var/lib/cc-ci-testbed/backups/restic-password',
    'snapshots',
    '--json',
    ...(tag ? ['--tag', tag] : []),
  ]);
  return JSON.parse(r.stdout || '[]') ?? [];
}

/** Test stacks (of the lane's domain) on the swarm now. */
export async function testStacks(): Promise<string[]> {
  const pattern = testAppPattern(lane.domain).stack;
  return [...(await docker.stacks()).keys()].filter((s) => pattern.test(s));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
