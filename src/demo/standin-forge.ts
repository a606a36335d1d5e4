// The demo's forge: the Gitea-compatible stand-in of testbed/forge/, run as its own program
// (src/ never imports testbed/), seeded with the sample recipe, an org with a member, and PR #1.
import { join } from 'node:path';
import { z } from 'zod';
import { CcciError } from '../model/errors.js';
import { childEnv } from '../process/child-env.js';
import { startBackground, type BackgroundProcess } from '../process/background-process.js';

export interface StandInForge {
  url: string;
  /** Tokens by user: `maintainer` (the org member who comments), `cc-ci-bot` (cc-ci's own). */
  tokens: { maintainer: string; bot: string };
  repo: string;
  /** The open PRs the demo comments on: #1, and #2 with --pr broken. */
  pulls: number[];
  process: BackgroundProcess;
}

const readyLine = z.object({
  url: z.string().url(),
  tokens: z.object({ maintainer: z.string(), 'cc-ci-bot': z.string() }),
  pulls: z.array(z.object({ repo: z.string(), number: z.number().int().positive() })).min(1),
});

export async function startStandInForge(
  root: string,
  opts: { dataDir: string; brokenPr: boolean; onLine: (line: string) => void },
): Promise<StandInForge> {
  const args = [
    join(root, 'dist/testbed/forge/main.js'),
    '--port',
    '0',
    '--data',
    opts.dataDir,
    '--seed',
    'demo',
    ...(opts.brokenPr ? ['--pr', 'broken'] : []),
  ];
  const proc = startBackground(process.execPath, args, {
    env: childEnv(),
    cwd: root,
    readyTimeoutMs: 60_000,
    what: 'the stand-in forge (dist/testbed/forge/main.js; run `npm run build` first)',
    onLine: opts.onLine,
  });
  try {
    const parsed = readyLine.safeParse(JSON.parse(await proc.ready));
    if (!parsed.success)
      throw new CcciError(
        'INTERNAL',
        `the stand-in forge's ready line is not what the demo expects: ${parsed.error.message}`,
      );
    const { url, tokens, pulls } = parsed.data;
    return {
      url,
      tokens: { maintainer: tokens.maintainer, bot: tokens['cc-ci-bot'] },
      repo: pulls[0]!.repo,
      pulls: pulls.map((p) => p.number),
      process: proc,
    };
  } catch (err) {
    await proc.stop(1_000);
    throw err;
  }
}
