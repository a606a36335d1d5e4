// The local executor: each run is a child `cc-ci run --run-id <id> --events <file>` in its own
// process group on this host (DESIGN §2), with the server's own config.
import { fileURLToPath } from 'node:url';
import { spawnRunChild } from '../../process/run-child.js';
import type { RunRecord } from '../../model/run.js';
import type { ExecutionHandle, Executor, RunFiles } from '../executor.js';

const cli = fileURLToPath(new URL('../../cli.js', import.meta.url));

export function localExecutor(opts: { configPath: string; env?: NodeJS.ProcessEnv }): Executor {
  return {
    start(run: RunRecord, files: RunFiles): ExecutionHandle {
      return spawnRunChild(process.execPath, runArgs(run, files, opts.configPath), {
        env: opts.env ?? process.env,
        outputFile: files.childOutput,
      });
    },
  };
}

/** The child's command line: argument array, every value validated before it was queued. */
export function runArgs(run: RunRecord, files: RunFiles, configPath: string): string[] {
  return [
    cli, 'run', run.recipe, '--ref', run.ref, '--repo', run.repo,
    ...(run.stages.length > 0 ? ['--stages', run.stages.join(',')] : []),
    ...(run.keep ? ['--keep'] : []),
    '--run-id', run.id, '--events', files.events, '--config', configPath,
  ];
}
