// `cc-ci run --lifeline`: Drone cancels a build by SIGKILLing its step, which can then pass no
// stop on; the run's stdin is the step's pipe, the kernel closes it with the step, and the run
// stops itself (CANCELLED), tearing down as for any stop. A real parent killed with SIGKILL.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const parentScript = fileURLToPath(new URL('../../support/lifeline-parent.ts', import.meta.url));

async function until<T>(what: string, probe: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a run with --lifeline', { timeout: 40_000 }, () => {
  it('stops itself (CANCELLED) when the process that started it is SIGKILLed', async () => {
    const store = mkdtempSync(join(tmpdir(), 'cc-ci-lifeline-'));
    mkdirSync(join(store, 'abra', 'servers', 'default'), { recursive: true });
    writeFileSync(
      join(store, 'cc-ci.yml'),
      'swarm: {server: default, domain: ci.test, abraDir: ./abra}\nstore: ./store\n',
    );
    const output = join(store, 'child-output.txt');
    const parent = spawn(process.execPath, ['--import', 'tsx', parentScript, store, output], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let pid = '';
    parent.stdout.on('data', (d: Buffer) => (pid += d.toString()));
    const childPid = Number(await until('the child pid', () => /^\d+\n/.test(pid) && pid.trim()));
    await until('the run session', () => existsSync(output) && readFileSync(output, 'utf8').includes('started'));
    // Still going while its starter lives.
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(output, 'utf8')).not.toContain('stopped');
    parent.kill('SIGKILL');
    const said = await until('the stop', () => {
      const text = readFileSync(output, 'utf8');
      return text.includes('stopped') && text;
    });
    expect(said).toContain('stopped CANCELLED: the process that started the run is gone (its stdin closed)');
    // And the run ends: its process goes.
    await until('the run to exit', () => {
      try {
        process.kill(childPid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
