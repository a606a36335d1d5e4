// The stand-in abra (testbed/abra/) is as strict as the real one where cc-ci's issue says the
// real one is (items 1–6): no terminal, no --machine on lint, "no secrets generated", the DNS
// check, app new's domain, the recipe "ensure" step. Only calls that fail before touching Docker
// are run here; the e2e suite runs the rest on the testbed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInTerminal } from '../../../src/process/pty.js';
import { runProcess } from '../../../src/process/run-process.js';

const main = new URL('../../../testbed/abra/main.ts', import.meta.url).pathname;
let root: string;
let abraDir: string;

const env = () => ({ PATH: process.env.PATH, HOME: root, ABRA_DIR: abraDir });
/** The stand-in without a terminal (stdin closed, stdout a pipe), as execa runs it. */
const abra = (...args: string[]) =>
  runProcess(process.execPath, ['--import', 'tsx', main, ...args], { env: env(), timeoutMs: 60_000 });
/** The stand-in under a pseudo-terminal. */
const abraTty = (...args: string[]) =>
  runInTerminal(process.execPath, ['--import', 'tsx', main, ...args], { env: env(), timeoutMs: 60_000 });
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim();

const COMPOSE = `version: "3.8"
services:
  app:
    image: nginx:1.27.2
    healthcheck: {test: ["CMD", "true"]}
    deploy:
      labels: ["traefik.enable=true", "coop-cloud.\${STACK_NAME}.version=1.0.0+1.27.2"]
`;

function makeRecipe(name: string, sampleDomain: string): string {
  const dir = join(abraDir, 'recipes', name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '-b', 'main');
  writeFileSync(join(dir, 'compose.yml'), COMPOSE);
  writeFileSync(
    join(dir, '.env.sample'),
    `TYPE=${name}\nDOMAIN=${sampleDomain}\n## Domain aliases\n#EXTRA_DOMAINS=', \`www.${sampleDomain}\`'\n`,
  );
  git(dir, 'add', '.');
  git(dir, 'commit', '--quiet', '-m', 'release');
  git(dir, 'tag', '-a', '1.0.0+1.27.2', '-m', 'release');
  return dir;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'abra-standin-'));
  abraDir = join(root, 'abra');
  mkdirSync(join(abraDir, 'servers', 'ci'), { recursive: true });
  makeRecipe('site', 'site.example.com');
  makeRecipe('other', 'other.example.org');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('stand-in abra: recipe lint (item 1)', () => {
  it("has no --machine: cobra's unknown flag", async () => {
    const r = await abra('recipe', 'lint', 'site', '--machine', '-n');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('FATA unknown flag: --machine');
  });
  it('refuses to run without a terminal', async () => {
    const r = await abra('recipe', 'lint', 'site', '--chaos', '-n');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^FATA .*not a TTY$/);
  });
  const boxTable =
    'under a terminal prints the R001–R016 box table and exits 0, with a warning when an error rule fails';
  it(boxTable, async () => {
    const clean = await abraTty('recipe', 'lint', 'site', '--chaos', '-o', '-n');
    expect(clean.exitCode).toBe(0);
    expect(clean.output).toMatch(/┃ REF\s+┃ RULE/);
    expect([...clean.output.matchAll(/┃ (R0\d\d) /g)].map((m) => m[1])).toEqual(
      Array.from({ length: 16 }, (_, i) => `R0${String(i + 1).padStart(2, '0')}`),
    );
    expect(clean.output).not.toContain('critical errors');
    const dir = join(abraDir, 'recipes', 'site');
    git(dir, 'tag', 'lightweight-1');
    const failing = await abraTty('recipe', 'lint', 'site', '--chaos', '-o', '-n');
    git(dir, 'tag', '-d', 'lightweight-1');
    expect(failing.exitCode).toBe(0);
    expect(failing.output).toMatch(/┃ R014 ┃ only annotated tags used for recipe version ┃ error\s+┃ ❌/);
    expect(failing.output).toContain('WARN critical errors present in site config');
  });
  it('lists its flags cobra-style in --help: --chaos, no --machine', async () => {
    const r = await abra('recipe', 'lint', '--help');
    expect(r.stdout).toMatch(/Usage:\n {2}abra recipe lint <recipe> \[flags\]/);
    expect(r.stdout).toMatch(/-C, --chaos/);
    expect(r.stdout).toMatch(/Global Flags:[\s\S]*-o, --offline/);
    expect(r.stdout).not.toContain('--machine');
  });
});

describe('stand-in abra: apps (items 2–6)', () => {
  it('app new fills the domain only by replacing <recipe>.example.com (item 6)', async () => {
    expect(
      (await abra('app', 'new', 'site', '--server', 'ci', '--domain', 'site-1.ci.test', '--chaos', '-n')).exitCode,
    ).toBe(0);
    const site = readFileSync(join(abraDir, 'servers', 'ci', 'site-1.ci.test.env'), 'utf8');
    expect(site).toContain('DOMAIN=site-1.ci.test\n');
    expect(site).toContain('`www.site-1.ci.test`');
    expect(
      (await abra('app', 'new', 'other', '--server', 'ci', '--domain', 'othe-1.ci.test', '--chaos', '-n')).exitCode,
    ).toBe(0);
    expect(readFileSync(join(abraDir, 'servers', 'ci', 'othe-1.ci.test.env'), 'utf8')).toContain(
      'DOMAIN=other.example.org\n',
    );
  });
  it('app backup create and app restore refuse to run without a terminal (item 2)', async () => {
    for (const args of [
      ['app', 'backup', 'create', 'site-1.ci.test', '--chaos'],
      ['app', 'restore', 'site-1.ci.test', '--chaos'],
    ]) {
      const r = await abra(...args, '-n');
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stdout, args.join(' ')).toBe('FATA the input device is not a TTY');
    }
  });
  it('secret generate --all on a recipe without secrets says "no secrets generated" and exits 1 (item 3)', async () => {
    const r = await abra('app', 'secret', 'generate', 'site-1.ci.test', '--all', '--chaos', '--machine', '-n');
    expect(r.exitCode).toBe(1);
    expect(`${r.stdout}\n${r.stderr}`).toContain('no secrets generated');
  });
  it('secret insert takes <secret> <version> <data>; with --file a file it cannot read is FATA', async () => {
    const missing = join(root, 'no-such-cert.pem');
    const r = await abra('app', 'secret', 'insert', 'site-1.ci.test', 'ssl_cert', 'v1', missing, '--file', '-n');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(`FATA unable to read ${missing}: ENOENT`);
    const short = await abra('app', 'secret', 'insert', 'site-1.ci.test', 'ssl_cert', 'v1', '-n');
    expect(short.exitCode).toBe(1);
    const help = await abra('app', 'secret', 'insert', '--help');
    expect(help.stdout).toMatch(/-f, --file/);
    expect(help.stdout).toMatch(/-t, --trim/);
  });
  it('without --chaos a recipe-touching call runs the ensure step: a dirty tree is refused (item 4)', async () => {
    const dir = join(abraDir, 'recipes', 'site');
    writeFileSync(join(dir, 'untracked.yml'), 'x: 1\n');
    const r = await abra('app', 'secret', 'generate', 'site-1.ci.test', '--all', '-n');
    rmSync(join(dir, 'untracked.yml'));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('FATA site has locally unstaged changes');
  });
  it('without --chaos the ensure step checks out the release, leaving the PR head (item 4)', async () => {
    const dir = join(abraDir, 'recipes', 'site');
    writeFileSync(join(dir, 'README.md'), 'a PR\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '--quiet', '-m', 'pr head');
    const head = git(dir, 'rev-parse', 'HEAD');
    await abraTty('recipe', 'lint', 'site', '--chaos', '-n');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    await abraTty('recipe', 'lint', 'site', '-n');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(git(dir, 'rev-parse', '1.0.0+1.27.2^{commit}'));
  });
  it('app deploy without --no-domain-checks fails the DNS check (item 5)', async () => {
    const r = await abra('app', 'deploy', 'site-1.ci.test', '--chaos', '-n');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^FATA unable to resolve IPv4 address for site-1\.ci\.test/);
  });
});
