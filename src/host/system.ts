// The operating system as `cc-ci host reconcile` needs it: Debian's apt, systemd, users, and a
// program on PATH. Every program runs through src/process/ (argument arrays, an explicit
// environment, a time limit); a failure says what ran and what it said.
import { existsSync } from 'node:fs';
import { resolveBinary } from '../abra/abra-help.js';
import { childEnv } from '../process/child-env.js';
import { runProcess } from '../process/run-process.js';

export interface UserFacts {
  exists: boolean;
  uid?: number;
  gid?: number;
  groups: string[];
}

export interface HostSystem {
  /** systemd is the init system (it made /run/systemd/system). */
  systemdRunning(): boolean;
  /** The program is on PATH (or a path that is executable). */
  which(program: string): string | undefined;
  aptInstall(packages: string[]): Promise<void>;
  systemctl(args: string[]): Promise<{ ok: boolean; output: string }>;
  user(name: string): Promise<UserFacts>;
  useradd(name: string, home: string): Promise<void>;
  addToGroup(name: string, group: string): Promise<void>;
}

const APT_TIMEOUT_MS = 15 * 60_000;
const TIMEOUT_MS = 60_000;

export function createHostSystem(env: NodeJS.ProcessEnv = process.env): HostSystem {
  const base = childEnv({}, env);
  const run = async (file: string, args: string[], extra: Record<string, string> = {}, timeoutMs = TIMEOUT_MS) => {
    const r = await runProcess(file, args, { env: { ...base, ...extra }, timeoutMs });
    const output = `${r.stdout}\n${r.stderr}`.trim();
    return { ok: r.exitCode === 0 && !r.timedOut, output, exitCode: r.exitCode, timedOut: r.timedOut };
  };
  const must = async (file: string, args: string[], extra?: Record<string, string>, timeoutMs?: number) => {
    const r = await run(file, args, extra, timeoutMs);
    if (!r.ok) {
      const said = r.output.split('\n').slice(-3).join(' | ') || '(nothing)';
      throw new Error(`${[file, ...args].join(' ')} ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}: ${said}`);
    }
    return r.output;
  };
  return {
    systemdRunning: () => existsSync('/run/systemd/system'),
    which: (program) => resolveBinary(program, base.PATH),
    async aptInstall(packages) {
      const apt = { DEBIAN_FRONTEND: 'noninteractive' };
      await must('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-qq'], apt, APT_TIMEOUT_MS);
      await must(
        'apt-get',
        ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', ...packages],
        apt,
        APT_TIMEOUT_MS,
      );
    },
    async systemctl(args) {
      const r = await run('systemctl', args);
      return { ok: r.ok, output: r.output };
    },
    async user(name) {
      const r = await run('id', ['-u', name]);
      if (!r.ok) return { exists: false, groups: [] };
      const gid = Number((await must('id', ['-g', name])).trim());
      const groups = (await must('id', ['-nG', name])).trim().split(/\s+/);
      return { exists: true, uid: Number(r.output.trim()), gid, groups };
    },
    async useradd(name, home) {
      // A system user with its own group, in the docker group (serve and its runs speak to the Engine),
      // no login shell, its home the store (not made here: the store step makes it with its mode).
      const groups = (await run('getent', ['group', 'docker'])).ok ? ['--groups', 'docker'] : [];
      await must('useradd', [
        '--system',
        '--user-group',
        ...groups,
        '--home-dir',
        home,
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        name,
      ]);
    },
    async addToGroup(name, group) {
      await must('usermod', ['--append', '--groups', group, name]);
    },
  };
}
