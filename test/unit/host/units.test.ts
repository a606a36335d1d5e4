// The systemd units `cc-ci host reconcile` writes (src/host/units.ts): what each must hold, and
// every one of them passes `systemd-analyze verify` (Debian's systemd package; CI installs it) with
// nothing to say, so a broken unit cannot land.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { enabledUnits, renderUnits, unitNames, type UnitInput } from '../../../src/host/units.js';

const dir = mkdtempSync(join(tmpdir(), 'ccci-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Real files, since verify checks that ExecStart's program exists and LoadCredential's path is a path.
const cli = join(dir, 'cli.js');
const token = join(dir, 'forge token');
const droneBinary = join(dir, 'drone-runner-exec');
writeFileSync(cli, '');
writeFileSync(token, 'x');
writeFileSync(droneBinary, '');
const droneRunner = {
  binary: droneBinary,
  rpcUrl: 'https://drone.example.org:8443',
  rpcSecretFile: token,
  capacity: 3,
  name: 'runner-1',
};

const input: UnitInput = {
  node: process.execPath,
  cli,
  config: '/etc/cc-ci/cc-ci.yml',
  pathDirs: ['/opt/abra 1/bin'],
  teardownBudgetMs: 600_000,
  credentials: [
    { name: 'forge_token', file: token },
    { name: 'admin_token', file: '/etc/cc-ci/admin_token' },
  ],
  dockerUnit: 'docker.service',
};

const unit = (units: ReturnType<typeof renderUnits>, name: string) => units.find((u) => u.name === name)!.text;

describe('renderUnits', () => {
  const units = renderUnits(input);

  it('renders the server, the janitor and the prune, each timer with its service', () => {
    expect(units.map((u) => u.name)).toEqual(unitNames.filter((n) => n !== 'drone-runner-exec.service'));
  });

  it('a runner host: janitor, prune and the Drone exec runner, no serve; control: serve and prune', () => {
    expect(renderUnits({ ...input, role: 'runner', droneRunner }).map((u) => u.name)).toEqual([
      'cc-ci-janitor.service',
      'cc-ci-janitor.timer',
      'cc-ci-prune.service',
      'cc-ci-prune.timer',
      'drone-runner-exec.service',
    ]);
    expect(enabledUnits('runner')).toEqual(['cc-ci-janitor.timer', 'cc-ci-prune.timer', 'drone-runner-exec.service']);
    expect(renderUnits({ ...input, role: 'control' }).map((u) => u.name)).toEqual([
      'cc-ci.service',
      'cc-ci-prune.service',
      'cc-ci-prune.timer',
    ]);
    expect(enabledUnits('control')).toEqual(['cc-ci.service', 'cc-ci-prune.timer']);
    expect(() => renderUnits({ ...input, role: 'runner' })).toThrow(/host.droneRunner is needed/);
  });

  it("the exec runner: Drone's address, capacity, name, this config for the steps, the secret a credential", () => {
    const s = unit(renderUnits({ ...input, role: 'runner', droneRunner }), 'drone-runner-exec.service');
    expect(s).toMatch(/^Environment=DRONE_RPC_PROTO=https$/m);
    expect(s).toMatch(/^Environment=DRONE_RPC_HOST=drone.example.org:8443$/m);
    expect(s).toMatch(/^Environment=DRONE_RUNNER_CAPACITY=3$/m);
    expect(s).toMatch(/^Environment=DRONE_RUNNER_NAME=runner-1$/m);
    expect(s).toMatch(/^Environment=DRONE_RUNNER_ENVIRON=CCCI_CONFIG:\/etc\/cc-ci\/cc-ci.yml$/m);
    expect(s).toContain(`LoadCredential=drone_rpc_secret:${token}`);
    // The secret is read when the runner starts, never written into the unit.
    expect(s).toContain(`exec "$$0"' ${droneBinary}`);
    expect(s).not.toMatch(/DRONE_RPC_SECRET=[^"]/);
  });

  it('cc-ci.service: serve, KillMode=mixed, a stop time above the teardown budget, restart on failure', () => {
    const s = unit(units, 'cc-ci.service');
    expect(s).toContain(`ExecStart=${process.execPath} ${cli} serve --config /etc/cc-ci/cc-ci.yml`);
    expect(s).toMatch(/^KillMode=mixed$/m);
    // systemctl reload: serve reads its config again (forge.repos without a restart).
    expect(s).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    const stop = Number(/^TimeoutStopSec=(\d+)$/m.exec(s)?.[1]);
    expect(stop).toBeGreaterThan(600);
    expect(s).toMatch(/^Restart=on-failure$/m);
    expect(s).toMatch(/^Requires=docker.service$/m);
  });

  it("puts abra's folder first on PATH and hands each secret file over as a credential", () => {
    const s = unit(units, 'cc-ci.service');
    expect(s).toContain('Environment="PATH=/opt/abra 1/bin:/usr/local/sbin:');
    expect(s).toContain(`LoadCredential=forge_token:${token}`);
    expect(s).toContain('LoadCredential=admin_token:/etc/cc-ci/admin_token');
  });

  it('the timers run the janitor and a daily store prune', () => {
    expect(unit(units, 'cc-ci-janitor.service')).toContain(' janitor --config ');
    expect(unit(units, 'cc-ci-prune.service')).toContain(' store prune --config ');
    expect(unit(units, 'cc-ci-prune.timer')).toMatch(/^OnCalendar=daily$/m);
    expect(unit(units, 'cc-ci-janitor.timer')).toMatch(/^OnUnitActiveSec=30min$/m);
  });

  it('runs as host.user when one is configured, and follows the teardown budget', () => {
    const s = unit(renderUnits({ ...input, user: 'cc-ci', teardownBudgetMs: 1_800_000 }), 'cc-ci.service');
    expect(s).toMatch(/^User=cc-ci$/m);
    expect(Number(/^TimeoutStopSec=(\d+)$/m.exec(s)?.[1])).toBeGreaterThan(1800);
  });

  it('escapes % (a systemd specifier) and refuses a line break in a path', () => {
    expect(unit(renderUnits({ ...input, config: '/etc/100%/c.yml' }), 'cc-ci.service')).toContain('/etc/100%%/c.yml');
    expect(() => renderUnits({ ...input, config: '/etc/a\nExecStartPre=/bin/true' })).toThrow(/line break/);
  });

  it('every unit passes systemd-analyze verify with nothing to say', async () => {
    const out = join(dir, 'units');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out, { recursive: true });
    const files = renderUnits({ ...input, user: 'root', droneRunner }).map((u) => {
      writeFileSync(join(out, u.name), u.text);
      return join(out, u.name);
    });
    const r = await promisify(execFile)('systemd-analyze', ['verify', ...files]).catch(
      (err: { code: number; stderr: string }) => err,
    );
    // verify exits 0 even for an option it could not parse: it only warns, so its words are checked too.
    const said = r.stderr.split('\n').filter((l) => l.includes(out) || l.startsWith('cc-ci'));
    expect(said).toEqual([]);
    expect('code' in r ? r.code : 0).toBe(0);
  });
});
