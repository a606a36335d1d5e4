// Asks the installed abra about itself: `abra --version` and `abra <command…> --help`. Used by
// `cc-ci doctor` and by `cc-ci serve` at start-up to compare abra with src/abra/abra-calls.ts.
// Nothing here changes anything: help and version never touch a server or an app.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { abraEnv } from './abra.js';
import { runProcess } from '../process/run-process.js';

/** What one call printed. */
export interface AbraAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface AbraProbe {
  /** The binary as it will be run (an absolute path), or undefined when there is none. */
  readonly resolved: string | undefined;
  version(): Promise<AbraAnswer>;
  /** `abra <command…> --help` */
  help(command: readonly string[]): Promise<AbraAnswer>;
}

export interface AbraProbeOptions {
  binary: string;
  abraDir: string;
  dockerHost?: string;
  /** Per call (default 10 s: help is instant, so a hang is a broken abra). */
  timeoutMs?: number;
}

export const ABRA_PROBE_TIMEOUT_MS = 10_000;

export function createAbraProbe(options: AbraProbeOptions): AbraProbe {
  const env = abraEnv(options);
  const resolved = resolveBinary(options.binary, env.PATH);
  const call = async (args: string[]): Promise<AbraAnswer> => {
    if (resolved === undefined)
      return { exitCode: 127, stdout: '', stderr: `${options.binary}: not found or not executable`, timedOut: false };
    const r = await runProcess(resolved, args, { env, timeoutMs: options.timeoutMs ?? ABRA_PROBE_TIMEOUT_MS });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
  };
  return {
    resolved,
    version: () => call(['--version']),
    help: (command) => call([...command, '--help']),
  };
}

/** A path with a `/` as it is; a bare name looked up on PATH, as the shell would. */
export function resolveBinary(binary: string, path: string): string | undefined {
  const candidates = binary.includes('/')
    ? [binary]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, binary));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
