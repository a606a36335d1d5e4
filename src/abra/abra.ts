// The abra adapter: the only place that runs abra. Each call's argv comes from the table in
// abra-calls.ts (placeholders filled in here, nothing else added); calls the table marks as
// needing a terminal run under a pseudo-terminal (pty.ts). abra prints its FATA lines on stdout
// (interfaces.md A.8.3), so errors quote both streams. A failure here is CcciError('ABRA_FAILED'):
// whether that is the recipe's fault is decided by the caller through src/model/blame.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CcciError } from '../model/errors.js';
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

/** What a run needs from abra. Each method throws CcciError('ABRA_FAILED') with abra's own error line. */
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
    const r = await runProcess(options.binary, helpArgv(command), { env, signal: opts.signal, timeoutMs: HELP_TIMEOUT_MS });
    const name = `abra ${command.join(' ')} --help`;
    if (r.cancelled) throw new CcciError('CANCELLED', `${name}: cancelled`);
    if (r.timedOut) throw new CcciError('ABRA_FAILED', `${name} did not answer within ${HELP_TIMEOUT_MS / 1000} s; check that swarm.abra is abra (cc-ci doctor)`);
    if (r.exitCode !== 0) throw new CcciError('ABRA_FAILED', `${name} exited ${r.exitCode}: ${fatalLine(r.stdout, r.stderr)}; check swarm.abra (cc-ci doctor)`);
    const help = parseCobraHelp(r.stdout.trim() ? r.stdout : r.stderr);
    return (flag) => hasFlag(help, flag);
  }

  /** Runs one call of the table with its placeholders filled; throws only when abra did not finish. */
  async function invoke(call: AbraCall, values: Record<string, string>, opts: AbraCallOptions, quiet = false): Promise<CallOutput> {
    const args = [...fillArgv(call.argv, values), ...await optionalFlags(call, opts)];
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const onLine = quiet ? undefined : (line: string) => options.onLine?.(line);
    const name = commandName(call);
    const r = call.terminal
      ? await underTerminal(name, args, { env, signal: opts.signal, timeoutMs, onLine: onLine && ((l) => onLine(plainText(l))) })
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
      throw new CcciError('ABRA_FAILED', `${name}: could not start ${options.binary} under a terminal: ${err instanceof Error ? err.message : String(err)}`);
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
        throw new CcciError('ABRA_FAILED', `abra app new exited 0 but wrote no ${file}; check that swarm.server names the abra server whose servers/ folder is in swarm.abraDir`);
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
      if (r.exitCode !== 0) throw failed(call, { ...r, stdout: withoutSecrets(r.stdout), stderr: withoutSecrets(r.stderr) });
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
      const judged = rules.length > 0 && (r.exitCode === 0 || rules.some((x) => x.severity === 'error' && !x.satisfied && !x.skipped));
      if (judged) return rules;
      if (r.exitCode !== 0) throw failed(call, r, `could not lint ${recipe}`);
      throw new CcciError('ABRA_FAILED', `abra recipe lint ${recipe} printed no rule table${machine ? ' (asked with --machine)' : ''}; it said: ${lastLines(r.stdout)}`);
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
  if (recipe === '') throw new CcciError('ABRA_FAILED', `${envFile} names no recipe (no TYPE= or RECIPE=)`);
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
    if (list) return list.flatMap((r) => (typeof r.name === 'string' && typeof r.value === 'string' ? [{ name: r.name, value: r.value }] : []));
  }
  const table = findTable(text, ['name', 'value']);
  if (table) return table.rows.filter((r) => r.name && r.value).map((r) => ({ name: r.name ?? '', value: r.value ?? '' }));
  throw new CcciError('ABRA_FAILED', `abra app secret generate printed no ${machine ? 'JSON list' : 'NAME/VALUE table'} of the secrets it generated, so they could not be masked`);
}

function commandName(call: AbraCall): string {
  return ['abra', ...call.command].join(' ');
}

function failed(call: AbraCall, r: CallOutput, what?: string): CcciError {
  const terminal = call.terminal ? ' (under a terminal)' : '';
  return new CcciError('ABRA_FAILED', `${commandName(call)}${terminal}${what ? ` ${what}:` : ''} exited ${r.exitCode}: ${fatalLine(r.stdout, r.stderr)}`);
}

function fatalLine(stdout: string, stderr: string): string {
  const lines = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(FATA|ERRO|Error)/.test(l)) ?? lines[lines.length - 1] ?? '(no output)';
}

function lastLines(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length === 0 ? '(nothing)' : lines.slice(-3).join(' | ').slice(0, 500);
}

/** A failed secret generate may have printed values before failing: only its log lines are quoted. */
function withoutSecrets(text: string): string {
  return text.split('\n').filter((l) => /^\s*(FATA|ERRO|WARN|INFO|Error)/.test(l)).join('\n');
}
