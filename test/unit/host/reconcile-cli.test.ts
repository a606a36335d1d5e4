// `cc-ci host reconcile` as an operator runs it, on real files and with no Docker Engine where the
// config points: one line a step, the count, exit codes (1 drift or failed, 2 usage or config), a
// second run with nothing to change, and --check that changes nothing.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/model/errors.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';
import { hostReconcileCommand, type HostReconcileFlags } from '../../../src/wiring/host.js';

const cli = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ccci-host-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in abra that only knows its version: the steps that would deploy through it need Docker,
// which is not there.
const abra = join(dir, 'abra');
writeFileSync(abra, '#!/bin/sh\necho "abra version 0.14.0"\n');
chmodSync(abra, 0o755);
const config = join(dir, 'cc-ci.yml');
writeFileSync(
  config,
  [
    'swarm:',
    '  server: default',
    '  domain: ci.test',
    `  abra: ${abra}`,
    `  abraDir: ${join(dir, 'abra-dir')}`,
    `  dockerHost: unix://${join(dir, 'no-docker.sock')}`,
    `store: ${join(dir, 'store')}`,
    'host:',
    `  unitsDir: ${join(dir, 'units')}`,
    '',
  ].join('\n'),
);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function ccci(args: string[]): Promise<Ran> {
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, ...args]).then(
    (ok) => ({ ...ok, code: 0 }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** The same command in this process (starting cc-ci takes seconds on a busy machine): its lines and exit code. */
async function inProcess(flags: HostReconcileFlags): Promise<Ran> {
  const lines: string[] = [];
  try {
    const code = await hostReconcileCommand({ config, ...flags }, new SecretRegistry(), (l) => lines.push(l));
    return { code, stdout: `${lines.join('\n')}\n`, stderr: '' };
  } catch (err) {
    return { code: exitCodeFor(err), stdout: `${lines.join('\n')}\n`, stderr: (err as Error).message };
  }
}

const lineOf = (out: string, step: string) => out.split('\n').find((l) => new RegExp(`^\\w+ +${step}:`).test(l));

describe('cc-ci host reconcile', { timeout: 90_000 }, () => {
  it('prints one line a step and the count; a failed step blocks the ones that need it; exit 1', async () => {
    const r = await ccci(['host', 'reconcile', '--profile', 'testbed', '--config', config]);
    expect(r.code).toBe(1);
    expect(lineOf(r.stdout, 'docker')).toMatch(/^failed +docker: .*does not answer.*to fix: run testbed\/up/);
    expect(lineOf(r.stdout, 'swarm')).toMatch(/^failed +swarm: not looked at: it needs the docker step/);
    expect(lineOf(r.stdout, 'abra')).toMatch(/^changed +abra: abra version 0.14.0 .*no server entry for default/);
    expect(lineOf(r.stdout, 'store')).toMatch(/^changed +store: no /);
    expect(lineOf(r.stdout, 'units')).toMatch(
      /^changed +units: .*systemd is not running here, so they are not enabled/,
    );
    expect(r.stdout).toMatch(/host reconcile: 8 steps, 0 ok, 3 changed, 5 failed\n$/);
    expect(statSync(join(dir, 'store')).mode & 0o777).toBe(0o750);
    expect(existsSync(join(dir, 'abra-dir', 'servers', 'default'))).toBe(true);
    expect(existsSync(join(dir, 'units', 'cc-ci-janitor.timer'))).toBe(true);
  });

  it('a second run changes nothing', async () => {
    const r = await inProcess({ profile: 'testbed' });
    expect(r.stdout).toMatch(/host reconcile: 8 steps, 3 ok, 0 changed, 5 failed\n$/);
  });

  it('--check names what drifted, changes nothing, exits 1; reconcile puts it back', async () => {
    unlinkSync(join(dir, 'units', 'cc-ci-janitor.timer'));
    const r = await inProcess({ check: true, profile: 'testbed' });
    expect(r.code).toBe(1);
    expect(lineOf(r.stdout, 'units')).toMatch(/^drift +units: cc-ci-janitor.timer missing/);
    expect(r.stdout).toMatch(/host check: 8 steps, 2 ok, 1 drift, 5 failed\n$/);
    expect(existsSync(join(dir, 'units', 'cc-ci-janitor.timer'))).toBe(false);
    const again = await inProcess({ profile: 'testbed' });
    expect(lineOf(again.stdout, 'units')).toMatch(/^changed +units: cc-ci-janitor.timer missing/);
    expect(existsSync(join(dir, 'units', 'cc-ci-janitor.timer'))).toBe(true);
  });

  it('--role runner needs host.droneRunner (exit 2); --role control sets up only the store and the units', async () => {
    const runner = await inProcess({ role: 'runner' });
    expect(runner).toMatchObject({ code: 2, stderr: expect.stringContaining('configure host.droneRunner') });
    const controlUnits = join(dir, 'control-units');
    const control = await inProcess({ role: 'control', unitsDir: controlUnits });
    expect(control.stdout).toMatch(/\(profile debian, role control\)/);
    expect(control.stdout).toMatch(/host reconcile: 2 steps, 1 ok, 1 changed, 0 failed\n$/);
    expect(existsSync(join(controlUnits, 'cc-ci.service'))).toBe(true);
    expect(existsSync(join(controlUnits, 'cc-ci-janitor.timer'))).toBe(false);
    const unknown = await inProcess({ role: 'worker' });
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--role: expected all, runner or control'),
    });
  });

  it('refuses an unknown profile and a missing config with exit 2', async () => {
    const profile = await inProcess({ profile: 'arch' });
    expect(profile).toMatchObject({ code: 2, stderr: expect.stringContaining('--profile: expected one of') });
    const missing = await inProcess({ config: join(dir, 'nope.yml') });
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
  });
});
