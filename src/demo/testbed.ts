// The demo's testbed: the single-node swarm `testbed/up` brings up on this machine. The demo
// reuses one that is running (and leaves it up), or brings one up (and down again at the end).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CcciError } from '../model/errors.js';
import { childEnv } from '../process/child-env.js';
import { runProcess } from '../process/run-process.js';

/** The checkout cc-ci runs from (dist/src/demo or src/demo alike): where testbed/ lives. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new CcciError(
        'CONFIG_INVALID',
        'cc-ci demo needs the cc-ci checkout (testbed/ beside package.json); ' +
          `none above ${fileURLToPath(import.meta.url)}`,
      );
    dir = parent;
  }
  return dir;
}

const env = () => childEnv({ LANG: 'C.UTF-8' });

/** Whether a swarm answers on the local Docker socket: the testbed (or a swarm like it) is up. */
export async function swarmAnswers(): Promise<boolean> {
  const r = await runProcess('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], {
    env: env(),
    timeoutMs: 10_000,
  }).catch(() => undefined);
  return r?.exitCode === 0 && r.stdout.trim() === 'active';
}

/** Runs testbed/up or testbed/down, its lines handed over as they come. */
export async function testbedScript(
  root: string,
  script: 'up' | 'down',
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new CcciError(
      'USAGE',
      `cc-ci demo runs testbed/${script}, which needs root (it starts dockerd and installs Debian packages): ` +
        'run it as root on a machine you can spare',
    );
  const tail: string[] = [];
  const r = await runProcess('bash', [join(root, 'testbed', script)], {
    cwd: root,
    env: env(),
    signal,
    onLine: (line) => {
      if (tail.push(line) > 5) tail.shift();
      onLine(line);
    },
  });
  if (r.cancelled) throw new CcciError('CANCELLED', `testbed/${script} was stopped`);
  if (r.exitCode !== 0) {
    throw new CcciError(
      'DOCKER_FAILED',
      `testbed/${script} failed (exit ${r.exitCode}): ${tail.join(' | ')}; ` +
        "its log is above, dockerd's in /var/lib/cc-ci-testbed/dockerd.log (docs/testbed.md)",
    );
  }
}
