// The abra calls of `cc-ci host reconcile`: the host's own apps (traefik, backup-bot-two) are
// made and deployed through abra like any Co-op Cloud app. A table apart from abra-calls.ts:
// those are what every run needs (and `serve` refuses to start without), these only what setting
// up a host needs. docs/abra-contract.md ("Setting up a host") lists them with their evidence.
import { abraEnv } from './abra.js';
import { runProcess } from '../process/run-process.js';

export interface HostAbraCall {
  id: string;
  argv: string[];
  evidence: 'V' | 'V3' | 'U';
  source: string;
}

export const hostAbraCalls = {
  recipeFetch: {
    id: 'recipe fetch',
    argv: ['recipe', 'fetch', '<recipe>', '--no-input'],
    evidence: 'U',
    source: 'interfaces.md A.5 (the target folder [V], the command [U])',
  },
  appNew: {
    id: 'app new (release)',
    argv: ['app', 'new', '<recipe>', '--server', '<server>', '--domain', '<domain>', '--no-input'],
    evidence: 'U',
    source: 'interfaces.md A.5 (command [V], flags [U]); without --chaos abra takes the newest release',
  },
  secretInsert: {
    id: 'app secret insert',
    argv: ['app', 'secret', 'insert', '<domain>', '<secret>', '<version>', '<file>', '--file', '--no-input'],
    evidence: 'V3',
    source: 'interfaces.md A.5 and A.8.2 row 11 (the first cc-ci inserted the wildcard certificate with -f)',
  },
  deploy: {
    id: 'app deploy (release)',
    argv: ['app', 'deploy', '<domain>', '--force', '--no-converge-checks', '--no-domain-checks', '--no-input'],
    evidence: 'V3',
    source: 'interfaces.md A.5, A.8.2 rows 4 and 11; cc-ci waits for convergence itself',
  },
} as const satisfies Record<string, HostAbraCall>;

export interface HostAbraOptions {
  binary: string;
  abraDir: string;
  dockerHost?: string;
  timeoutMs?: number;
}

export interface HostAbraResult {
  ok: boolean;
  /** abra's error line (or its last line) when it failed. */
  said: string;
}

export interface HostAbra {
  version(): Promise<{ exitCode: number; text: string }>;
  run(call: HostAbraCall, values: Record<string, string>): Promise<HostAbraResult>;
}

const TIMEOUT_MS = 600_000;

export function createHostAbra(options: HostAbraOptions): HostAbra {
  const env = abraEnv(options);
  return {
    async version() {
      const r = await runProcess(options.binary, ['--version'], { env, timeoutMs: 30_000 });
      const lines = `${r.stdout}\n${r.stderr}`
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      // The version line, or on failure the line that says why (a stack trace's `Error:` line, else the last).
      const text =
        r.exitCode === 0 ? (lines[0] ?? '') : (lines.find((l) => /^(FATA|Error)/.test(l)) ?? lines.at(-1) ?? '');
      return { exitCode: r.exitCode, text };
    },
    async run(call, values) {
      const args = call.argv.map((a) => {
        const m = /^<([a-z]+)>$/.exec(a);
        if (!m) return a;
        const v = values[m[1]!];
        if (v === undefined) throw new Error(`abra argv placeholder ${a} has no value`);
        return v;
      });
      const r = await runProcess(options.binary, args, { env, timeoutMs: options.timeoutMs ?? TIMEOUT_MS });
      if (r.timedOut) return { ok: false, said: `no answer within ${(options.timeoutMs ?? TIMEOUT_MS) / 1000} s` };
      if (r.exitCode === 0) return { ok: true, said: '' };
      const lines = `${r.stdout}\n${r.stderr}`
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      const said = lines.find((l) => /^(FATA|ERRO|Error)/.test(l)) ?? lines[lines.length - 1] ?? '(no output)';
      return { ok: false, said: `abra ${call.id} exited ${r.exitCode}: ${said}` };
    },
  };
}
