// The stand-in Drone as its own process:
//   node dist/testbed/drone/main.js [--port <p>] [--token <t>] [--repo owner/name=<dir>]
//     [--runner <name>[:<capacity>]] [--reap-after <ms>]
// prints one JSON line {url, token, repos, runners} when ready and runs until SIGINT/SIGTERM.
// Secrets and a runner's environment are given through the control API (/_testbed/), never argv.
import { closeOnSignals, isEntryPoint } from '../entry-point.js';
import { startDrone } from './server.js';

export { startDrone } from './server.js';
export type { Drone, DroneOptions } from './server.js';

interface Args {
  port: number;
  token?: string;
  repos: { slug: string; dir: string }[];
  runners: { name: string; capacity?: number }[];
  reapAfterMs?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { port: 0, repos: [], runners: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') {
      args.port = Number(value());
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error('--port needs a port');
    } else if (a === '--token') args.token = value();
    else if (a === '--repo') {
      const [slug, dir] = value().split('=', 2);
      if (!slug || !dir) throw new Error('--repo needs owner/name=<dir>');
      args.repos.push({ slug, dir });
    } else if (a === '--runner') {
      const [name, capacity] = value().split(':', 2);
      if (!name) throw new Error('--runner needs <name>[:<capacity>]');
      args.runners.push({ name, ...(capacity ? { capacity: Number(capacity) } : {}) });
    } else if (a === '--reap-after') args.reapAfterMs = Number(value());
    else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  return args;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(
      `${err instanceof Error ? err.message : String(err)}\n` +
        'usage: main.js [--port <p>] [--token <t>] [--repo owner/name=<dir>] [--runner <name>[:<capacity>]] ' +
        '[--reap-after <ms>]\n',
    );
    process.exitCode = 2;
    return;
  }
  const drone = await startDrone({ port: args.port, token: args.token, reapRunningAfterMs: args.reapAfterMs });
  for (const repo of args.repos) drone.control.addRepo(repo.slug, repo.dir);
  for (const runner of args.runners) drone.control.addRunner(runner);
  const state = drone.control.state();
  process.stdout.write(
    JSON.stringify({ url: drone.url, token: drone.token, repos: state.repos, runners: state.runners }) + '\n',
  );
  closeOnSignals(() => drone.close());
}

if (isEntryPoint(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
