// The module's units, written out as NixOS writes unit files (the directives each option becomes),
// pass `systemd-analyze verify` (Debian's systemd package), which warns about every directive or
// value it cannot read. Start-up dependencies (docker.service, …) are not this machine's to judge.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { evalModule, type ModuleResult, type Unit } from './nix.js';

const fakeCli = '/nix/store/00000000000000000000000000000000-cc-ci/bin/cc-ci';
// The stand-in coreutils (ExecReload's kill) has no files: this host's coreutils stands in for it.
const fakeCoreutils = '/nix/store/00000000000000000000000000000000-coreutils/';
const configuration = {
  services: {
    'cc-ci': {
      enable: true,
      abraPackage: { name: 'abra', outPath: '/nix/store/11111111111111111111111111111111-abra' },
      settings: { swarm: { server: 'ci.example.org', domain: 'ci.example.org' } },
      secrets: {
        forgeTokenFile: '/run/secrets/forge_token',
        adminTokenFile: '/run/secrets/admin_token',
        certificateKeyFile: '/run/secrets/ssl_key',
        resticPasswordFile: '/run/secrets/restic_password',
      },
    },
  },
};

type Value = string | number | boolean | string[];

/** A directive per value, as NixOS writes them: lists become one line each, booleans true/false. */
function directives(section: Record<string, Value | undefined>): string[] {
  return Object.entries(section).flatMap(([key, value]) => {
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]).map((v) => `${key}=${String(v)}`);
  });
}

/** The .service file NixOS makes of `systemd.services.<name>` (path → PATH, environment → Environment=). */
function serviceFile(unit: Unit, cli: string): string {
  const path = (unit.path ?? []).flatMap((p) => [`${p}/bin`, `${p}/sbin`]).join(':');
  const env = { ...(path ? { PATH: path } : {}), ...unit.environment };
  const service = Object.fromEntries(
    Object.entries(unit.serviceConfig).map(([k, v]) => [
      k,
      typeof v === 'string' ? v.replace(fakeCli, cli).replace(fakeCoreutils, '/usr/') : v,
    ]),
  );
  return [
    '[Unit]',
    ...directives({
      Description: unit.description,
      Wants: unit.wants?.join(' '),
      Requires: unit.requires?.join(' '),
      After: unit.after?.join(' '),
      Before: unit.before?.join(' '),
    }),
    '',
    '[Service]',
    ...Object.entries(env).map(([k, v]) => `Environment="${k}=${v}"`),
    ...directives(service),
    '',
  ].join('\n');
}

function timerFile(timer: ModuleResult['timers'][string], description: string): string {
  return ['[Unit]', `Description=${description}`, '', '[Timer]', ...directives(timer.timerConfig), ''].join('\n');
}

/** Writes every unit into a folder, with an executable in the place of cc-ci, and verifies them all. */
async function verify(result: ModuleResult, edit: (file: string, text: string) => string = (_f, t) => t) {
  const dir = mkdtempSync(join(tmpdir(), 'nixos-units-'));
  const cli = join(dir, 'cc-ci');
  writeFileSync(cli, '#!/bin/sh\nexit 0\n');
  chmodSync(cli, 0o755);
  const files: string[] = [];
  for (const [name, unit] of Object.entries(result.services)) {
    files.push(join(dir, `${name}.service`));
    writeFileSync(files.at(-1)!, edit(`${name}.service`, serviceFile(unit, cli)));
  }
  for (const [name, timer] of Object.entries(result.timers)) {
    files.push(join(dir, `${name}.timer`));
    writeFileSync(files.at(-1)!, edit(`${name}.timer`, timerFile(timer, name)));
  }
  const r = await execa('systemd-analyze', ['verify', '--man=no', ...files], { reject: false });
  if (r.code === 'ENOENT') throw new Error('systemd-analyze is not installed: apt-get install systemd');
  return { exitCode: r.exitCode, complaints: `${r.stdout}\n${r.stderr}`.trim(), files };
}

async function evaluated(): Promise<ModuleResult> {
  const r = await evalModule(configuration);
  if (!r.ok) throw new Error(`nix-instantiate failed: ${r.stderr}`);
  return r.value;
}

describe('services.cc-ci: the unit files', () => {
  it('every unit and timer passes systemd-analyze verify without a complaint', async () => {
    const r = await verify(await evaluated());
    expect(r.files.map((f) => f.replace(/^.*\//, '')).sort()).toEqual([
      'cc-ci-doctor.service',
      'cc-ci-host-check.service',
      'cc-ci-host.service',
      'cc-ci-janitor.service',
      'cc-ci-janitor.timer',
      'cc-ci-prune.service',
      'cc-ci-prune.timer',
      'cc-ci.service',
    ]);
    expect(r.complaints).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('a value systemd cannot read is a complaint (the check can fail)', async () => {
    const r = await verify(await evaluated(), (file, text) =>
      file === 'cc-ci.service' ? text.replace('KillMode=mixed', 'KillMode=gentle') : text,
    );
    expect(r.complaints).toContain('Failed to parse kill mode');
  });
});
