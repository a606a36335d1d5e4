// The abra adapter: the only place that runs abra. Each call's argv comes from the table in
// abra-calls.ts (placeholders filled in here, nothing else added); calls the table marks as
// needing a terminal run under a pseudo-terminal (pty.ts). abra prints its FATA lines on stdout
// (interfaces.md A.8.3), so errors quote both streams. A failure here is CcciError('ABRA_FAILED')
// with a fact saying how abra failed, read from its own words; whether that is the recipe's fault
// is decided by src/model/blame.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isRepoLocked } from '../backupbot/backup-repo.js';
import { CcciError, type AbraFact, type AbraFailureKind } from '../model/errors.js';
import { composeFiles, readComposeNames } from '../recipe/compose-names.js';
import { abraCall, helpArgv, type AbraCall, type AbraCallId } from './abra-calls.js';
import { hasFlag, parseCobraHelp } from './cobra-help.js';
import { readEnvFile, setEnvValues } from './env-file.js';
import { parseLintOutput, type LintRule } from './lint-output.js';
import { childEnv } from '../process/child-env.js';
import { runInTerminal } from '../process/pty.js';
import { runProcess } from '../process/run-process.js';
import { findTable, jsonList, plainText } from './terminal-table.js';

export type { LintRule } from './lint-output.js';

export interface GeneratedSecret {
  name: string;
  value: string;
}

export interface AbraCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * What a run needs from abra. Each method throws CcciError('ABRA_FAILED') with abra's own error line
 * (and, from this adapter, the fact of how it failed: `abraFact` reads it either way).
 */
export interface Abra {
  /** `$ABRA_DIR/servers/<server>/<domain>.env`, where abra keeps the app's config. */
  envFile(domain: string): string;
  /** `abra app new`, then DOMAIN=<domain> in the .env (abra may fill it only from `<recipe>.example.com`). */
  appNew(recipe: string, domain: string, opts?: AbraCallOptions): Promise<void>;
  /** Generates every secret of the app; returns the values so they can be masked. [] when it declares none. */
  generateSecrets(domain: string, opts?: AbraCallOptions): Promise<GeneratedSecret[]>;
  /** Deploys the checked-out tree (chaos) or a release version; never waits for convergence (cc-ci does). */
  deploy(domain: string, target: { chaos: true } | { version: string }, opts?: AbraCallOptions): Promise<void>;
  undeploy(domain: string, opts?: AbraCallOptions): Promise<void>;
  /** Removes the app's .env, secrets, volumes and configs; the app must be undeployed. */
  remove(domain: string, opts?: AbraCallOptions): Promise<void>;
  /** `abra app backup create` (under a terminal): the backup bot snapshots the app's labelled volumes. */
  backupCreate(domain: string, opts?: AbraCallOptions): Promise<string>;
  /** `abra app restore` (under a terminal): the latest snapshot back into the app's volumes. */
  restore(domain: string, opts?: AbraCallOptions): Promise<string>;
  /** `abra recipe lint` (under a terminal): the rule table. Unsatisfied rules are not an error here. */
  lint(recipe: string, opts?: AbraCallOptions): Promise<LintRule[]>;
}

export interface AbraCliOptions {
  binary: string;
  abraDir: string;
  server: string;
  dockerHost?: string;
  /** Every output line of every call (already split; the logger masks secrets). */
  onLine?: (line: string) => void;
}

interface CallOutput {
  exitCode: number;
  /** stdout, or everything the terminal showed (control sequences stripped). */
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 600_000;
const HELP_TIMEOUT_MS = 30_000;

/** The whole environment of every abra call: nothing of cc-ci's own leaks in. */
export function abraEnv(options: { abraDir: string; dockerHost?: string }) {
  return childEnv({ ABRA_DIR: options.abraDir, DOCKER_HOST: options.dockerHost, TERM: 'dumb', NO_COLOR: '1' });
}

export function createAbraCli(options: AbraCliOptions): Abra {
  const env = abraEnv(options);
  const envFile = (domain: string) => join(options.abraDir, 'servers', options.server, `${domain}.env`);
  // Which optional flags each command's --help lists: asked once per adapter (one run's abra).
  const listedFlags = new Map<string, Promise<(flag: string) => boolean>>();

  function optionalFlags(call: AbraCall, opts: AbraCallOptions): Promise<string[]> {
    const wanted = call.optionalFlags ?? [];
    if (wanted.length === 0) return Promise.resolve([]);
    const key = call.command.join(' ');
    let listed = listedFlags.get(key);
    if (!listed) {
      listed = helpFlags(call.command, opts);
      listedFlags.set(key, listed);
      listed.catch(() => listedFlags.delete(key));
    }
    return listed.then((has) => wanted.filter(has));
  }

  /** Whether the command's --help lists a flag (its own `Flags:` or inherited `Global Flags:`). */
  async function helpFlags(command: string[], opts: AbraCallOptions): Promise<(flag: string) => boolean> {
    const r = await runProcess(options.binary, helpArgv(command), {
      env,
      signal: opts.signal,
      timeoutMs: HELP_TIMEOUT_MS,
    });
    const name = `abra ${command.join(' ')} --help`;
    if (r.cancelled) throw new CcciError('CANCELLED', `${name}: cancelled`);
    if (r.timedOut) {
      const what = `did not answer within ${HELP_TIMEOUT_MS / 1000} s; check that swarm.abra is abra (cc-ci doctor)`;
      throw abraFailed(`${name} ${what}`, 'help-failed', name);
    }
    if (r.exitCode !== 0) {
      const what = `exited ${r.exitCode}: ${fatalLine(r.stdout, r.stderr)}; check swarm.abra (cc-ci doctor)`;
      throw abraFailed(`${name} ${what}`, 'help-failed', name);
    }
    const help = parseCobraHelp(r.stdout.trim() ? r.stdout : r.stderr);
    return (flag) => hasFlag(help, flag);
  }

  /** Runs one call of the table with its placeholders filled; throws only when abra did not finish. */
  async function invoke(
    call: AbraCall,
    values: Record<string, string>,
    opts: AbraCallOptions,
    quiet = false,
  ): Promise<CallOutput> {
    const args = [...fillArgv(call.argv, values), ...(await optionalFlags(call, opts))];
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const onLine = quiet ? undefined : (line: string) => options.onLine?.(line);
    const name = commandName(call);
    const r = call.terminal
      ? await underTerminal(name, args, {
          env,
          signal: opts.signal,
          timeoutMs,
          onLine: onLine && ((l) => onLine(plainText(l))),
        })
      : await runProcess(options.binary, args, { env, signal: opts.signal, timeoutMs, onLine });
    if (r.cancelled) throw new CcciError('CANCELLED', `${name}: cancelled`);
    if (r.timedOut) throw new CcciError('DEADLINE', `${name}: no answer within ${Math.round(timeoutMs / 1000)} s`);
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  /** Under a terminal stdout and stderr are one stream: it is read as stdout, control sequences stripped. */
  async function underTerminal(name: string, args: string[], opts: Parameters<typeof runInTerminal>[2]) {
    try {
      const t = await runInTerminal(options.binary, args, opts);
      return { ...t, stdout: plainText(t.output), stderr: '' };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw abraFailed(`${name}: could not start ${options.binary} under a terminal: ${why}`, 'did-not-start', name);
    }
  }

  /** invoke, and a non-zero exit is ABRA_FAILED with abra's own error line. */
  async function succeed(id: AbraCallId, values: Record<string, string>, opts: AbraCallOptions = {}): Promise<string> {
    const call = abraCall(id);
    const r = await invoke(call, values, opts);
    if (r.exitCode !== 0) throw failed(call, r);
    return r.stdout;
  }

  return {
    envFile,
    async appNew(recipe, domain, opts) {
      await succeed('app new', { recipe, server: options.server, domain }, opts);
      const file = envFile(domain);
      if (!existsSync(file)) {
        throw abraFailed(
          `abra app new exited 0 but wrote no ${file}; check that swarm.server names the abra ` +
            'server whose servers/ folder is in swarm.abraDir',
          'unexpected-result',
          'abra app new',
        );
      }
      setEnvValues(file, { DOMAIN: domain });
    },
    async generateSecrets(domain, opts = {}) {
      if (declaredSecrets(options.abraDir, envFile(domain)).length === 0) {
        options.onLine?.(`cc-ci: ${domain} declares no secrets; abra app secret generate not called`);
        return [];
      }
      // Quiet: the output holds the values; they are registered for masking before anything is logged.
      const call = abraCall('app secret generate');
      const machine = (await optionalFlags(call, opts)).includes('--machine');
      const r = await invoke(call, { domain }, opts, true);
      const said = `${r.stdout}\n${r.stderr}`;
      if (r.exitCode !== 0 && /no secrets generated/i.test(said)) return [];
      if (r.exitCode !== 0)
        throw failed(call, { ...r, stdout: withoutSecrets(r.stdout), stderr: withoutSecrets(r.stderr) });
      return parseGeneratedSecrets(r.stdout, machine);
    },
    async deploy(domain, target, opts) {
      if ('version' in target) await succeed('app deploy (version)', { domain, version: target.version }, opts);
      else await succeed('app deploy (chaos)', { domain }, opts);
    },
    async undeploy(domain, opts) {
      await succeed('app undeploy', { domain }, opts);
    },
    async remove(domain, opts) {
      await succeed('app rm', { domain }, opts);
    },
    backupCreate: (domain, opts) => succeed('app backup create', { domain }, opts),
    restore: (domain, opts) => succeed('app restore', { domain }, opts),
    async lint(recipe, opts = {}) {
      const call = abraCall('recipe lint');
      const machine = (await optionalFlags(call, opts)).includes('--machine');
      const r = await invoke(call, { recipe }, opts);
      const rules = parseLintOutput(r.stdout, machine);
      // abra lints even when rules fail and exits non-zero only when it could not lint [U]; an
      // abra that exits non-zero after a full table with a failing error rule is also understood.
      const judged =
        rules.length > 0 &&
        (r.exitCode === 0 || rules.some((x) => x.severity === 'error' && !x.satisfied && !x.skipped));
      if (judged) return rules;
      if (r.exitCode !== 0) throw failed(call, r, `could not lint ${recipe}`);
      const asked = machine ? ' (asked with --machine)' : '';
      throw abraFailed(
        `abra recipe lint ${recipe} printed no rule table${asked}; it said: ${lastLines(r.stdout)}`,
        'unexpected-result',
        'abra recipe lint',
      );
    },
  };
}

/** The argv of a call with its `<placeholders>` filled; a placeholder without a value is a bug. */
export function fillArgv(argv: readonly string[], values: Record<string, string>): string[] {
  return argv.map((arg) => {
    const m = /^<([a-z]+)>$/.exec(arg);
    if (!m) return arg;
    const value = values[m[1] ?? ''];
    if (value === undefined) throw new Error(`abra argv placeholder ${arg} has no value`);
    return value;
  });
}

/** The secret names the app's compose files declare (COMPOSE_FILE of its .env), read from abra's recipe checkout. */
function declaredSecrets(abraDir: string, envFile: string): string[] {
  const env = readEnvFile(envFile);
  const recipe = (env.RECIPE ?? env.TYPE ?? '').split(':')[0] ?? '';
  if (recipe === '') throw abraFailed(`${envFile} names no recipe (no TYPE= or RECIPE=)`, 'unexpected-result');
  return readComposeNames(join(abraDir, 'recipes', recipe), composeFiles(env)).secrets;
}

/**
 * What `abra app secret generate` printed: with --machine a JSON list of {name, value}; otherwise
 * the NAME/VALUE table. Nothing readable is an error: unread values could not be masked.
 */
export function parseGeneratedSecrets(stdout: string, machine: boolean): GeneratedSecret[] {
  const text = plainText(stdout);
  if (machine) {
    const list = jsonList(text);
    if (list)
      return list.flatMap((r) =>
        typeof r.name === 'string' && typeof r.value === 'string' ? [{ name: r.name, value: r.value }] : [],
      );
  }
  const table = findTable(text, ['name', 'value']);
  if (table)
    return table.rows.filter((r) => r.name && r.value).map((r) => ({ name: r.name ?? '', value: r.value ?? '' }));
  const what = machine ? 'JSON list' : 'NAME/VALUE table';
  throw abraFailed(
    `abra app secret generate printed no ${what} of the secrets it generated, so they could not be ` + 'masked',
    'unexpected-result',
    'abra app secret generate',
  );
}

function commandName(call: AbraCall): string {
  return ['abra', ...call.command].join(' ');
}

function failed(call: AbraCall, r: CallOutput, what?: string): CcciError {
  const terminal = call.terminal ? ' (under a terminal)' : '';
  const said = `${what ? ` ${what}:` : ''} exited ${r.exitCode}: ${fatalLine(r.stdout, r.stderr)}`;
  return abraFailed(`${commandName(call)}${terminal}${said}`, 'exited', commandName(call));
}

/** ABRA_FAILED with the fact of how: abra's own words, when they say more than `kind`. */
function abraFailed(message: string, kind: AbraFailureKind, command?: string): CcciError {
  return new CcciError('ABRA_FAILED', message, { fact: readAbraFailure(message, kind, command) });
}

// abra's words for its own plumbing failing: it cannot reach Docker, has no terminal, cannot find
// the backup bot, the server is not set up, it does not know a flag. Matched on the quoted error
// line, so recipe text is mistaken for these only when it quotes them verbatim.
const plumbingWords: ReadonlyArray<readonly [AbraFailureKind, RegExp]> = [
  ['docker-unreachable', /cannot connect to the docker daemon|connection refused/i],
  ['no-terminal', /not a tty|input device is not a tty|requires a terminal/i],
  [
    'no-backupbot',
    /no backup ?bot|backupbot.*not (found|deployed|running)|no running service labelled coop-cloud\.backupbot/i,
  ],
  ['unknown-server', /server .* (does not exist|not found)|unknown server/i],
  ['unknown-flag', /unknown (flag|command)|unknown shorthand flag/i],
];

/** How a failed call failed, from what abra said; `otherwise` when its words name nothing more. */
export function readAbraFailure(said: string, otherwise: AbraFailureKind = 'exited', command?: string): AbraFact {
  const rule = /\bR0\d\d\b/.exec(said)?.[0];
  let kind = plumbingWords.find(([, re]) => re.test(said))?.[0] ?? (isRepoLocked(said) ? 'repo-locked' : otherwise);
  if (kind === 'exited' && rule) kind = 'refused-by-lint';
  return { source: 'abra', kind, ...(command ? { command } : {}), ...(kind === 'refused-by-lint' ? { rule } : {}) };
}

/**
 * The fact of a failed abra call: the one this adapter attached, or read from the message of a
 * CcciError('ABRA_FAILED') another Abra threw (a test's). Undefined for anything else (a stop, a deadline).
 */
export function abraFact(err: unknown): AbraFact | undefined {
  if (!(err instanceof CcciError) || err.code !== 'ABRA_FAILED') return undefined;
  return err.fact?.source === 'abra' ? err.fact : readAbraFailure(err.message);
}

/** The same failure, noted as a call that acted on the recipe (deploy, backup, restore); anything else unchanged. */
export function asRecipeAction(err: unknown): unknown {
  const fact = abraFact(err);
  if (!fact) return err;
  return new CcciError('ABRA_FAILED', (err as Error).message, { cause: err, fact: { ...fact, onRecipe: true } });
}

function fatalLine(stdout: string, stderr: string): string {
  const lines = `${stdout}\n${stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /^(FATA|ERRO|Error)/.test(l)) ?? lines[lines.length - 1] ?? '(no output)';
}

function lastLines(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length === 0 ? '(nothing)' : lines.slice(-3).join(' | ').slice(0, 500);
}

/** A failed secret generate may have printed values before failing: only its log lines are quoted. */
function withoutSecrets(text: string): string {
  return text
    .split('\n')
    .filter((l) => /^\s*(FATA|ERRO|WARN|INFO|Error)/.test(l))
    .join('\n');
}
