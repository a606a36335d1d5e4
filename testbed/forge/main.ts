// The stand-in forge as its own process:
//   node dist/testbed/forge/main.js --port <p> --data <dir> [--seed demo [--pr broken]]
// prints one JSON line {url, tokens, repos, pulls} when ready and runs until SIGINT/SIGTERM.
import { closeOnSignals, isEntryPoint } from '../entry-point.js';
import { DEMO_REPO, openBrokenPr } from './seed.js';
import { startForge } from './server.js';

export { startForge } from './server.js';
export type { Forge, ForgeOptions } from './server.js';

interface Args {
  port: number;
  data?: string;
  seed?: 'demo';
  /** Also open the PR whose upgrade loses data (needs --seed demo). */
  brokenPr?: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') {
      args.port = Number(value());
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
        throw new Error('--port needs a port number');
    } else if (a === '--data') args.data = value();
    else if (a === '--seed') {
      const seed = value();
      if (seed !== 'demo') throw new Error(`unknown seed ${JSON.stringify(seed)} (known: demo)`);
      args.seed = seed;
    } else if (a === '--pr') {
      const pr = value();
      if (pr !== 'broken') throw new Error(`unknown --pr ${JSON.stringify(pr)} (known: broken)`);
      args.brokenPr = true;
    } else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  if (args.brokenPr && args.seed !== 'demo') throw new Error('--pr broken needs --seed demo');
  return args;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(
      `${err instanceof Error ? err.message : String(err)}\n` +
        'usage: main.js --port <p> --data <dir> [--seed demo [--pr broken]]\n',
    );
    process.exitCode = 2;
    return;
  }
  const forge = await startForge({ port: args.port, dataDir: args.data, seed: args.seed });
  const pulls = args.seed === 'demo' ? [{ repo: DEMO_REPO, number: 1 }] : [];
  if (args.brokenPr) pulls.push({ repo: DEMO_REPO, number: (await openBrokenPr(forge.control)).number });
  process.stdout.write(
    JSON.stringify({ url: forge.url, tokens: forge.control.tokens(), repos: forge.control.repos(), pulls }) + '\n',
  );
  closeOnSignals(() => forge.close());
}

if (isEntryPoint(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
