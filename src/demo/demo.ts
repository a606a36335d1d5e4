// `cc-ci demo`: the whole loop on this machine. The testbed swarm, the stand-in forge with the
// sample recipe and an open PR, `cc-ci serve` on them, a maintainer's `!testme`, the run to its
// verdict, the reply as the maintainer sees it; then it serves until Ctrl-C, and a stop takes
// down what the demo started and checks that the swarm holds nothing of its runs.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Comment } from '../forge/types.js';
import { enrolledRepoUrl } from '../config/enrolled.js';
import { loadConfigAsync, type Config } from '../config/load-config.js';
import { CcciError, errorMessage } from '../model/errors.js';
import type { ForgeClient } from '../forge/types.js';
import type { StackResources, SwarmApi } from '../docker/swarm-api.js';
import { createLogger } from '../log/create-logger.js';
import type { RunRecord } from '../model/run.js';
import { stateWords, statusFor } from '../report/pr-comment.js';
import { SecretRegistry } from '../secrets/secret-registry.js';
import type { Serving } from '../server/serve.js';
import { dockerPort, forgeAs } from '../wiring/ports.js';
import { writeDemoConfig } from './demo-config.js';
import { followRuns, type FollowedRun } from './follow-runs.js';
import { screenshotPages } from './screenshots.js';
import { startStandInForge, type StandInForge } from './standin-forge.js';
import { packageRoot, swarmAnswers, testbedScript } from './testbed.js';

export interface DemoOptions {
  /** The dashboard's port on 127.0.0.1. */
  port: number;
  /** Where the demo keeps its config, store, logs and screenshots (emptied at start, kept at the end). */
  dir: string;
  /** Also open PR #2, whose upgrade loses data. */
  brokenPr: boolean;
  /** Ctrl-C or SIGTERM: stop whatever phase is going and clean up. */
  signal: AbortSignal;
  /** Each line the person reads. */
  say: (line: string) => void;
}

const RECIPE = 'custom-html';

/**
 * What each run should end as: main and PR #1 (it changes only the marker) pass;
 * PR #2 (--pr broken) loses its data on upgrade.
 */
const expected = (r: FollowedRun): RunRecord['state'] => (r.target.pr === 2 ? 'failed' : 'passed');

interface DemoServer {
  serving: Serving;
  config: Config;
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const { say, signal } = opts;
  const root = packageRoot();
  // What the demo started, stopped in reverse order at the end whatever happened.
  let testbedFoundRunning: boolean | undefined;
  let forge: StandInForge | undefined;
  let server: DemoServer | undefined;
  const stacks: string[] = [];
  let ok = true;
  emptyDemoDir(opts.dir);
  try {
    testbedFoundRunning = await swarmAnswers();
    await bringUpTestbed(root, testbedFoundRunning, opts);

    forge = await startStandInForge(root, {
      dataDir: join(opts.dir, 'forge'),
      brokenPr: opts.brokenPr,
      onLine: () => undefined,
    });
    say(
      `Stand-in forge on ${forge.url}: ${forge.repo} ` +
        `with ${forge.pulls.map((n) => `PR #${n}`).join(' and ')}, org member "maintainer".`,
    );

    const demoConfig = writeDemoConfig({
      root,
      dir: opts.dir,
      port: opts.port,
      forgeUrl: forge.url,
      repo: forge.repo,
      org: forge.repo.split('/')[0]!,
      botToken: forge.tokens.bot,
    });
    server = await startServer(demoConfig.file, join(opts.dir, 'serve.log')).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new CcciError('USAGE', `port ${opts.port} on 127.0.0.1 is in use: pass another with --port`);
      throw err;
    });
    const serving = server.serving;
    say(`cc-ci serve on ${serving.url} (config ${demoConfig.file}, log ${join(opts.dir, 'serve.log')}).`);

    const runs = await testRuns(forge, server, opts, (stack) => stacks.push(stack));
    for (const r of runs) ok = (await showOutcome(forge, r, opts)) && ok;
    await takeScreenshots(
      forge,
      serving,
      runs.filter((r) => r.target.pr !== undefined),
      opts,
    );

    say('');
    say(`Dashboard:    ${serving.url}/`);
    for (const r of runs)
      say(
        `Run page:     ${serving.url}/runs/${r.run.id}   ` +
          `(${r.target.pr ? `PR #${r.target.pr}: ${forge.url}/${forge.repo}/pulls/${r.target.pr}` : r.target.label})`,
      );
    say(`Badge:        ${serving.url}/badge/${RECIPE}.svg`);
    say(
      `Admin token for the cancel and re-run forms: ${demoConfig.adminToken} ` +
        `(also in ${join(opts.dir, 'admin-token')})`,
    );
    say('');
    say('Serving until Ctrl-C.');
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } catch (err) {
    ok = false;
    say(signal.aborted ? `Stopped: ${errorMessage(err)}` : `cc-ci demo failed: ${errorMessage(err)}`);
  } finally {
    say('');
    const step = async (what: string, fn: () => Promise<unknown>) => {
      await fn().catch((err: unknown) => {
        ok = false;
        say(`${what}: ${errorMessage(err)}`);
      });
    };
    // serve stops its runs first (they tear down), then the swarm must hold nothing of them.
    if (server) {
      const { serving, config } = server;
      await step('stopping cc-ci serve', async () => {
        say('Stopping cc-ci serve …');
        await serving.stop('the demo was stopped');
      });
      ok = (await checkSwarmClean(() => dockerPort(config), stacks, say)) && ok;
    }
    if (forge) await step('stopping the stand-in forge', () => forge!.process.stop());
    if (testbedFoundRunning === true)
      say('The testbed was running when the demo started: it is left up (`bash testbed/down` removes it).');
    else if (testbedFoundRunning === false) {
      await step('bringing the testbed down', async () => {
        say('Bringing down the testbed the demo started (bash testbed/down) …');
        await testbedScript(root, 'down', () => undefined);
        say('Testbed down.');
      });
    }
  }
  return ok ? 0 : 1;
}

/**
 * The maintainer comments `!testme` on each PR, and the default branch is tested as an operator
 * would after a merge (the badge shows the default branch). Resolves when every run has ended.
 */
async function testRuns(
  forge: StandInForge,
  server: DemoServer,
  opts: DemoOptions,
  onStack: (stack: string) => void,
): Promise<FollowedRun[]> {
  const maintainer = maintainerClient(forge);
  const following = followRuns(server.serving.runs, {
    signal: opts.signal,
    startWithinMs: 60_000,
    endWithinMs: 30 * 60_000,
    onStack,
    say: (line) => opts.say(`  ${line}`),
  });
  following.done.catch(() => undefined);
  // The poller's first read of a repository takes what is there as history: a comment written
  // before it would never start a run.
  await firstPoll(server.serving, forge.repo, opts.signal);
  for (const pr of forge.pulls) {
    const comment = await maintainer.createComment(forge.repo, pr, '!testme');
    following.add({ label: `PR #${pr}`, matches: (run) => run.trigger.commentId === comment.id, pr });
    opts.say(`maintainer commented "!testme" on ${forge.repo}#${pr}.`);
  }
  const branch = server.serving.runs.enqueue({
    recipe: RECIPE,
    repo: enrolledRepoUrl(server.config, RECIPE),
    ref: 'main',
    stages: [],
    keep: false,
    trigger: { kind: 'api', by: 'cc-ci demo' },
  });
  following.add({ label: 'main', matches: (run) => run.id === branch.id });
  opts.say(`Queued a run of ${RECIPE} at main, the default branch, as after a merge: the badge shows it.`);
  return following.done;
}

/** Waits until the poller has read the repository once, so that a comment written now is news to it. */
async function firstPoll(serving: Serving, repo: string, signal: AbortSignal, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  const polled = () => serving.forgeRepos().some((r) => r.repo === repo && r.lastPolledAt !== undefined);
  while (!polled()) {
    if (signal.aborted) throw new Error('stopped while waiting for the forge poller');
    if (Date.now() > deadline)
      throw new Error(
        `the forge poller had not read ${repo} within ${withinMs / 1000} s of the start: ` +
          'see serve.log for what it did (is the stand-in forge answering?)',
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Says how a run ended and, for a PR, prints the bot's reply once it shows the verdict.
 * True when it ended as it should.
 */
async function showOutcome(forge: StandInForge, r: FollowedRun, opts: DemoOptions): Promise<boolean> {
  const want = expected(r);
  const as = want === r.run.state ? 'as expected' : `NOT as expected: ${want}`;
  opts.say('');
  if (r.target.pr === undefined) {
    opts.say(`${r.target.label}: ${r.run.state}${r.run.level !== undefined ? `, level L${r.run.level}` : ''} (${as}).`);
    return want === r.run.state;
  }
  const reply = await finalReply(maintainerClient(forge), forge, r.target.pr, r.run, opts.signal);
  opts.say(
    `${r.target.label}: ${r.run.state} (${as}); commit status ${reply.status ?? 'none'}. ` +
      'The reply, as the maintainer sees it:',
  );
  opts.say('');
  for (const line of (reply.comment?.body ?? '(no reply)').trimEnd().split('\n')) opts.say(`    ${line}`);
  return want === r.run.state;
}

async function takeScreenshots(
  forge: StandInForge,
  serving: Serving,
  runs: FollowedRun[],
  opts: DemoOptions,
): Promise<void> {
  const shots = [
    ...runs.map((r) => ({
      url: `${forge.url}/${forge.repo}/pulls/${r.target.pr}`,
      file: join(opts.dir, `pr-${r.target.pr}.png`),
    })),
    { url: `${serving.url}/`, file: join(opts.dir, 'dashboard.png') },
  ];
  opts.say('');
  await screenshotPages(shots).then(
    () => opts.say(`Screenshots: ${shots.map((s) => s.file).join(', ')}`),
    (err: unknown) => opts.say(`(No screenshots: ${errorMessage(err)})`),
  );
}

const DIR_MARK = '.cc-ci-demo';

/** Empties the demo's folder for a fresh store and forge; never a folder the demo did not make. */
function emptyDemoDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, DIR_MARK))) {
    throw new CcciError(
      'USAGE',
      `--dir ${dir} is not empty and was not made by cc-ci demo: ` +
        'the demo empties its folder at each start, so give it a new or empty one',
    );
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, DIR_MARK), 'cc-ci demo: emptied at each start\n');
}

async function bringUpTestbed(root: string, foundRunning: boolean, opts: DemoOptions): Promise<void> {
  const started = Date.now();
  opts.say(
    foundRunning
      ? 'Testbed: a swarm answers; checking it (bash testbed/up) …'
      : 'Testbed: bringing it up (bash testbed/up; the first time builds images, about 4 min) …',
  );
  // A running testbed's check is quiet; a fresh one shows its progress (its failure is quoted either way).
  await testbedScript(
    root,
    'up',
    (line) => {
      if (!foundRunning) opts.say(`  │ ${line}`);
    },
    opts.signal,
  );
  opts.say(`Testbed up in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

/** The stand-in forge as the maintainer, the org member who comments (the stand-in is a Gitea). */
function maintainerClient(forge: StandInForge): ForgeClient {
  return forgeAs('gitea', { url: forge.url, token: forge.tokens.maintainer }).client;
}

async function startServer(configFile: string, logFile: string): Promise<DemoServer> {
  const secrets = new SecretRegistry();
  const config = await loadConfigAsync({ path: configFile, secrets });
  // serve's log goes to its file only: the terminal is the demo's.
  const { log } = createLogger({ secrets, file: logFile, console: false });
  const { startServing } = await import('../wiring/serve.js');
  return { serving: await startServing(config, secrets, log), config };
}

/** The bot's reply once it shows the run's end, and the commit status that goes with it. */
async function finalReply(
  client: ForgeClient,
  forge: StandInForge,
  pr: number,
  run: RunRecord,
  signal: AbortSignal,
): Promise<{ comment?: Comment; status?: string }> {
  const word = stateWords[run.state];
  const want = statusFor(run).state;
  let comment: Comment | undefined;
  let status: string | undefined;
  for (let i = 0; i < 60 && !signal.aborted; i++) {
    comment = (await client.listComments(forge.repo, pr)).find((c) => c.user?.login === 'cc-ci-bot');
    status = run.sha
      ? (await client.listStatuses(forge.repo, run.sha)).find((s) => s.context === 'cc-ci')?.status
      : undefined;
    if (comment?.body?.includes(word) && status === want) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  return { comment, status };
}

/** Whether the swarm holds nothing of the stacks the demo's runs deployed. */
async function checkSwarmClean(
  connect: () => SwarmApi,
  stacks: string[],
  say: (line: string) => void,
): Promise<boolean> {
  if (stacks.length === 0) return true;
  try {
    const docker = connect();
    const left: string[] = [];
    for (const stack of stacks) {
      const res: StackResources = await docker.resources(stack);
      left.push(...Object.values(res).flat());
    }
    say(
      left.length === 0
        ? `The swarm holds nothing of the demo's runs (${stacks.length} apps deployed, all gone).`
        : `LEFT ON THE SWARM: ${left.join(', ')} (\`cc-ci janitor --max-age 0 --config …\` reaps them)`,
    );
    return left.length === 0;
  } catch (err) {
    say(`Could not check the swarm: ${errorMessage(err)}`);
    return false;
  }
}
