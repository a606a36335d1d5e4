// Runs Debian's nix-instantiate (package nix-bin) for the tests of the Nix files: parsing, and
// evaluating nix/module.nix and flake.nix against the stubs beside this file. Evaluation needs no
// nixpkgs and no network.
import { resolve } from 'node:path';
import { execa } from 'execa';

export const repoRoot = resolve(import.meta.dirname, '../../..');
const here = import.meta.dirname;

export const NIX_MISSING =
  'nix-instantiate is not installed, so the Nix files cannot be checked: apt-get install nix-bin';

/** nix-instantiate with these arguments; throws NIX_MISSING when it is not installed. */
async function nixInstantiate(args: string[]) {
  const r = await execa('nix-instantiate', args, { reject: false });
  if (r.code === 'ENOENT') throw new Error(NIX_MISSING);
  return r;
}

/** nix-instantiate's version line. */
export async function nixVersion(): Promise<string> {
  return (await nixInstantiate(['--version'])).stdout;
}

export async function nixParse(file: string) {
  return nixInstantiate(['--parse', file]);
}

export interface Evaluated<T> {
  ok: boolean;
  value: T;
  stderr: string;
}

async function evalJson<T>(file: string, args: string[]): Promise<Evaluated<T>> {
  const r = await nixInstantiate(['--eval', '--strict', '--json', resolve(here, file), ...args]);
  const ok = r.exitCode === 0;
  return { ok, value: ok ? (JSON.parse(r.stdout) as T) : (undefined as T), stderr: r.stderr };
}

/** What the module sets for this NixOS configuration (as JSON, e.g. `{services: {'cc-ci': {...}}}`). */
export function evalModule(configuration: object) {
  return evalJson<ModuleResult>('eval-module.nix', ['--argstr', 'configJson', JSON.stringify(configuration)]);
}

export function evalFlake() {
  return evalJson<FlakeResult>('eval-flake.nix', []);
}

export interface Unit {
  description: string;
  path?: string[];
  environment?: Record<string, string>;
  wantedBy?: string[];
  wants?: string[];
  requires?: string[];
  after?: string[];
  before?: string[];
  serviceConfig: Record<string, string | boolean | string[]>;
}

export interface ModuleResult {
  enabled: boolean;
  failedAssertions: string[];
  warnings: string[];
  settings: Record<string, unknown> | null;
  configFile: string | null;
  checkSettings: Record<string, unknown> | null;
  checkConfigFile: string | null;
  environment: Record<string, string> | null;
  docker: { enable: boolean; liveRestore: boolean } | null;
  users: { users: Record<string, Record<string, unknown>>; groups: Record<string, unknown> } | null;
  services: Record<string, Unit>;
  timers: Record<string, { wantedBy: string[]; timerConfig: Record<string, string | boolean> }>;
}

export interface FlakeResult {
  systems: string[];
  package: {
    pname: string;
    version: string;
    installPhase: string;
    env: Record<string, string>;
    nodejs: string;
    nativeBuildInputs: string[];
    buildInputs: string[];
    npmConfigHook: string;
    pytestModules: string[];
    resolved: Record<string, string | null>;
    integrity: Record<string, string | null>;
    sourceKeeps: Record<string, boolean>;
  };
  module: { imports: string[]; packagePriority: number; packageName: string };
}
