// flake.nix and nix/package.nix evaluated against a stub nixpkgs (eval-flake.nix): what the
// package asks buildNpmPackage for, the URL of every locked npm package, and the module the flake
// exports. Building needs nixpkgs and the network, which these tests do not have.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalFlake, repoRoot, type FlakeResult } from './nix.js';

const store = (name: string) => `/nix/store/00000000000000000000000000000000-${name}`;

let flake: Promise<FlakeResult> | undefined;
async function evaluated(): Promise<FlakeResult> {
  flake ??= evalFlake().then((r) => {
    if (!r.ok) throw new Error(`nix-instantiate failed: ${r.stderr}`);
    return r.value;
  });
  return flake;
}

describe('flake.nix', () => {
  it('has a package for each Linux system, named and versioned as package.json', async () => {
    const { systems, package: pkg } = await evaluated();
    const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(systems).toEqual(['aarch64-linux', 'x86_64-linux']);
    expect(pkg.pname).toBe('cc-ci');
    expect(pkg.version).toBe(packageJson.version);
  });

  it('fetches every locked npm package from the registry, checked by its integrity hash', async () => {
    const { package: pkg } = await evaluated();
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; integrity?: string }>;
    };
    const locked = Object.keys(lock.packages).filter((path) => path !== '');
    expect(Object.keys(pkg.resolved).sort()).toEqual(Object.keys(lock.packages).sort());
    expect(pkg.resolved['']).toBeNull();
    for (const path of locked) {
      expect(pkg.resolved[path], path).toMatch(/^https:\/\/registry\.npmjs\.org\/.+\.tgz$/);
      expect(pkg.integrity[path], path).toBe(lock.packages[path]?.integrity);
    }
  });

  it("gives each package npm's own tarball URL: scoped, nested and plain names", async () => {
    const { resolved } = (await evaluated()).package;
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    const version = (path: string) => lock.packages[path]?.version ?? 'missing';
    const nested = Object.keys(lock.packages).find((p) => /node_modules\/.+\/node_modules\/[^@]/.test(p));
    expect(nested).toBeDefined();
    const cases: Record<string, string> = {
      'node_modules/zod': `https://registry.npmjs.org/zod/-/zod-${version('node_modules/zod')}.tgz`,
      'node_modules/@lydell/node-pty': `https://registry.npmjs.org/@lydell/node-pty/-/node-pty-${version(
        'node_modules/@lydell/node-pty',
      )}.tgz`,
    };
    const nestedName = nested!.slice(nested!.lastIndexOf('node_modules/') + 'node_modules/'.length);
    cases[nested!] = `https://registry.npmjs.org/${nestedName}/-/${nestedName}-${version(nested!)}.tgz`;
    for (const [path, url] of Object.entries(cases)) expect(resolved[path], path).toBe(url);
  });

  it('builds with Node 22 and node-gyp (better-sqlite3 from source), patching the prebuilt node-pty', async () => {
    const { package: pkg } = await evaluated();
    expect(pkg.nodejs).toBe('nodejs-22');
    expect(pkg.npmConfigHook).toBe('import-npm-lock-config-hook');
    expect(pkg.env).toEqual({ npm_config_build_from_source: 'true' });
    expect(pkg.nativeBuildInputs).toContain('auto-patchelf-hook');
    expect(pkg.buildInputs).toEqual(['gcc-lib']);
  });

  it('installs dist/src, recipes and runtime node_modules behind a wrapper with Chromium, git, pytest', async () => {
    const { package: pkg } = await evaluated();
    expect(pkg.installPhase).toContain('npm prune --omit=dev');
    expect(pkg.installPhase).toContain('cp -r dist/src $dir/dist/src');
    expect(pkg.installPhase).toContain('cp -r package.json node_modules recipes $dir/');
    expect(pkg.installPhase).toContain(`makeWrapper ${store('nodejs-22')}/bin/node $out/bin/cc-ci`);
    expect(pkg.installPhase).toContain('--add-flags $dir/dist/src/cli.js');
    expect(pkg.installPhase).toContain(`--set-default CCCI_CHROMIUM ${store('chromium')}/bin/chromium`);
    expect(pkg.installPhase).toContain(
      `--prefix PATH : ${store('git')}/bin:${store('restic')}/bin:${store('python3-env')}/bin`,
    );
    expect(pkg.pytestModules).toEqual(['pytest', 'requests', 'httpx']);
  });

  it("builds from the sources only: not a checkout's node_modules or dist, nor docs and Nix files", async () => {
    expect((await evaluated()).package.sourceKeeps).toEqual({
      src: true,
      recipes: true,
      'package.json': true,
      node_modules: false,
      dist: false,
      docs: false,
      nix: false,
      'flake.nix': false,
    });
  });

  it("exports the module with the flake's package as its default (mkDefault)", async () => {
    const { module } = await evaluated();
    expect(module).toEqual({ imports: ['module.nix'], packagePriority: 1000, packageName: 'cc-ci' });
  });
});
