// The abra adapter: the only place that runs abra. Every call passes `-n` (never prompt) and, for
// calls that touch the recipe, `-o` (cc-ci checks the recipe out itself; abra must not fetch).
// abra prints its FATA lines on stdout (interfaces.md A.8.3), so errors quote both streams.
import { join } from 'node:path';
import { CcciError } from '../errors.js';
import { runProcess } from './run-process.js';

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
  appNew(recipe: string, domain: string, opts?: AbraCallOptions): Promise<void>;
  /** Generates every secret of the app; returns the values so they can be masked. */
  generateSecrets(domain: string, opts?: AbraCallOptions): Promise<GeneratedSecret[]>;
  /** Deploys the checked-out tree (chaos) or a release version; never waits for convergence (cc-ci does). */
  deploy(domain: string, target: { chaos: true } | { version: string }, opts?: AbraCallOptions): Promise<void>;
  undeploy(domain: string, opts?: AbraCallOptions): Promise<void>;
  /** Removes the app's .env, secrets, volumes and configs; the app must be undeployed. */
  remove(domain: string, opts?: AbraCallOptions): Promise<void>;
  /** `abra app backup create`: the backup bot snapshots the app's labelled volumes (running its hooks). */
  backupCreate(domain: string, opts?: AbraCallOptions): Promise<string>;
  /** `abra app restore`: the latest snapshot back into the app's volumes (running its hooks). */
  restore(domain: string, opts?: AbraCallOptions): Promise<string>;
  /** `abra recipe lint <recipe> --machine`: the rule table; the exit code is not an error here. */
  lint(recipe: string, opts?: AbraCallOptions): Promise<LintRule[]>;
}

export interface LintRule {
  ref: string;
  rule: string;
  severity: string;
  satisfied: boolean;
}

export interface AbraCliOptions {
  binary: string;
  abraDir: string;
  server: string;
  dockerHost?: string;
  /** Every output line of every call (already split; the logger masks secrets). */
  onLine?: (line: string) => void;
}

export function createAbraCli(options: AbraCliOptions): Abra {
  const env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ABRA_DIR: options.abraDir,
    DOCKER_HOST: options.dockerHost,
    TERM: 'dumb',
  };

  async function abra(args: string[], opts: AbraCallOptions = {}, quiet = false, okExit = [0]): Promise<string> {
    const r = await runProcess(options.binary, [...args, '-n'], {
      env,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? 600_000,
      onLine: quiet ? undefined : (line) => options.onLine?.(line),
    });
    const command = `abra ${args.slice(0, 3).join(' ')}`;
    if (r.cancelled) throw new CcciError('CANCELLED', `${command}: cancelled`);
    if (r.timedOut) throw new CcciError('DEADLINE', `${command}: no answer within ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s`);
    if (!okExit.includes(r.exitCode)) {
      throw new CcciError('ABRA_FAILED', `${command} exited ${r.exitCode}: ${fatalLine(r.stdout, r.stderr)}`);
    }
    return r.stdout;
  }

  return {
    envFile: (domain) => join(options.abraDir, 'servers', options.server, `${domain}.env`),
    async appNew(recipe, domain, opts) {
      await abra(['app', 'new', recipe, '--server', options.server, '--domain', domain, '--chaos', '--offline'], opts);
    },
    async generateSecrets(domain, opts) {
      // Quiet: the output holds the values; they are registered for masking before anything is logged.
      const out = await abra(['app', 'secret', 'generate', domain, '--all', '--machine'], opts, true);
      return parseGeneratedSecrets(out);
    },
    async deploy(domain, target, opts) {
      // --force: an upgrade redeploys onto the running app; on a fresh app it changes nothing.
      const args = ['app', 'deploy', domain, ...('version' in target ? [target.version] : ['--chaos']), '--force'];
      await abra([...args, '--no-converge-checks', '--offline'], opts);
    },
    async undeploy(domain, opts) {
      await abra(['app', 'undeploy', domain], opts);
    },
    async remove(domain, opts) {
      await abra(['app', 'rm', domain, '--force'], opts);
    },
    backupCreate: (domain, opts) => abra(['app', 'backup', 'create', domain], opts),
    restore: (domain, opts) => abra(['app', 'restore', domain], opts),
    async lint(recipe, opts) {
      // abra exits non-zero when an error-level rule fails; the table says which.
      return parseLintRules(await abra(['recipe', 'lint', recipe, '--machine', '--offline'], opts, false, [0, 1]));
    },
  };
}

/** abra's `--machine` output: a JSON list, possibly after log lines. */
function machineList(stdout: string, problem: string): Array<Record<string, unknown>> {
  const start = stdout.indexOf('[');
  try {
    const data = JSON.parse(start >= 0 ? stdout.slice(start) : stdout) as unknown;
    if (Array.isArray(data)) return data.map((item) => (item && typeof item === 'object' ? item : {}) as Record<string, unknown>);
  } catch { /* reported below */ }
  throw new CcciError('ABRA_FAILED', problem);
}

/** `abra app secret generate -m` prints a JSON array of {name, value}. */
export function parseGeneratedSecrets(stdout: string): GeneratedSecret[] {
  return machineList(stdout, 'abra app secret generate --machine printed no JSON list of secrets').flatMap((r) =>
    typeof r.name === 'string' && typeof r.value === 'string' ? [{ name: r.name, value: r.value }] : []);
}

/** `abra recipe lint --machine` prints a JSON list of rules. */
export function parseLintRules(stdout: string): LintRule[] {
  return machineList(stdout, 'abra recipe lint --machine printed no JSON rule table').map((r) => ({
    ref: String(r.ref ?? ''), rule: String(r.rule ?? ''), severity: String(r.severity ?? ''), satisfied: r.satisfied === true || r.satisfied === 'true',
  }));
}

function fatalLine(stdout: string, stderr: string): string {
  const lines = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(FATA|ERRO|Error)/.test(l)) ?? lines[lines.length - 1] ?? '(no output)';
}
