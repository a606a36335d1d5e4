// Every abra call cc-ci makes, in one table: the argv (placeholders in <>), whether it needs a
// terminal, what cc-ci reads from it, and the evidence for each part (tags of
// ../shared/reference/interfaces.md: V verified, V3 the first cc-ci's records, U unverified).
// The adapter (abra.ts) builds its argv from here and nowhere else, `cc-ci doctor` and `cc-ci
// serve` check each command and flag against the installed abra's --help, and
// docs/abra-contract.md is rendered from this table (npm run docs:abra-contract; a unit test
// fails when the two differ).
//
// Where the evidence is U, cc-ci works both ways: a flag that may or may not exist is an
// `optionalFlags` entry, passed only when the installed abra's --help lists it.

export type Evidence = 'V' | 'V3' | 'U';

export type AbraCallId =
  | 'version'
  | 'app new'
  | 'app secret generate'
  | 'app deploy (chaos)'
  | 'app deploy (version)'
  | 'app undeploy'
  | 'app rm'
  | 'app backup create'
  | 'app restore'
  | 'recipe lint';

export interface AbraCall {
  /** Short name, also the key the adapter uses: 'app new', 'recipe lint', … */
  id: string;
  /** The subcommand path, for `abra <command…> --help`. */
  command: string[];
  /** The argv after the binary, placeholders like `<domain>` filled in by the adapter. */
  argv: string[];
  /** Flags cc-ci always passes (long form); each must appear in the command's --help. */
  flags: string[];
  /** Flags cc-ci passes only when the command's --help lists them (the evidence is U). */
  optionalFlags?: string[];
  /** Runs under a pseudo-terminal (abra needs one there). */
  terminal: boolean;
  /** What cc-ci reads from the output, and what it treats as failure. */
  parsed: string;
  evidence: Evidence;
  /** Where the evidence is (interfaces.md section, or the first cc-ci's record). */
  source: string;
}

// Every call passes --no-input (never prompt). Calls that make abra "ensure" the recipe (check
// out the .env version, or fetch) pass --chaos --offline, so the tree cc-ci checked out (the PR
// head) is the one used and nothing is fetched (interfaces.md A.8.2 row 5, the runbook's "all
// recipe-touching calls pass -C -o").
export const abraCalls: readonly AbraCall[] = [
  {
    id: 'version',
    command: [],
    argv: ['--version'],
    flags: ['--version'],
    terminal: false,
    parsed: 'the version line (`abra version 0.13.0-beta-06a57de`); doctor only',
    evidence: 'V3',
    source: 'interfaces.md A.8.2 row 1',
  },
  {
    id: 'app new',
    command: ['app', 'new'],
    argv: [
      'app',
      'new',
      '<recipe>',
      '--server',
      '<server>',
      '--domain',
      '<domain>',
      '--chaos',
      '--offline',
      '--no-input',
    ],
    flags: ['--server', '--domain', '--chaos', '--offline', '--no-input'],
    terminal: false,
    parsed:
      'exit status; FATA line on failure. Afterwards cc-ci sets `DOMAIN=<domain>` in the .env itself ' +
      '(abra may only replace `<recipe>.example.com` of .env.sample)',
    evidence: 'U',
    source: 'interfaces.md A.5 (command [V], flags [U]), A.8.2 row 3',
  },
  {
    id: 'app secret generate',
    command: ['app', 'secret', 'generate'],
    argv: ['app', 'secret', 'generate', '<domain>', '--all', '--chaos', '--offline', '--no-input'],
    flags: ['--all', '--chaos', '--offline', '--no-input'],
    optionalFlags: ['--machine'],
    terminal: false,
    parsed:
      'with --machine a JSON list of {name, value}, else the NAME/VALUE table; ' +
      'values are masked before anything is logged. ' +
      'Not called when the compose files declare no secrets; "no secrets generated" with exit 1 means none',
    evidence: 'U',
    source: 'interfaces.md A.5 (command [V], flags and output [U])',
  },
  {
    id: 'app deploy (chaos)',
    command: ['app', 'deploy'],
    argv: [
      'app',
      'deploy',
      '<domain>',
      '--chaos',
      '--force',
      '--no-converge-checks',
      '--no-domain-checks',
      '--offline',
      '--no-input',
    ],
    flags: ['--chaos', '--force', '--no-converge-checks', '--no-domain-checks', '--offline', '--no-input'],
    terminal: false,
    parsed: 'exit status; FATA line on stdout. cc-ci waits for convergence itself and reads the chaos-version label',
    evidence: 'V3',
    source: 'interfaces.md A.5, A.8.2 rows 5–6 (--chaos, -c [V3]); --force, --no-domain-checks [U]',
  },
  {
    id: 'app deploy (version)',
    command: ['app', 'deploy'],
    argv: [
      'app',
      'deploy',
      '<domain>',
      '<version>',
      '--force',
      '--no-converge-checks',
      '--no-domain-checks',
      '--offline',
      '--no-input',
    ],
    flags: ['--force', '--no-converge-checks', '--no-domain-checks', '--offline', '--no-input'],
    terminal: false,
    parsed:
      'exit status; FATA line on stdout (`has locally unstaged changes` for a dirty tree). ' +
      'cc-ci reads the version label',
    evidence: 'V3',
    source: 'interfaces.md A.5 (version argument [V]), A.8.2 row 4',
  },
  {
    id: 'app undeploy',
    command: ['app', 'undeploy'],
    argv: ['app', 'undeploy', '<domain>', '--no-input'],
    flags: ['--no-input'],
    terminal: false,
    parsed: 'exit status; returns before the stack is gone, so teardown waits itself',
    evidence: 'U',
    source: 'interfaces.md A.5, A.8.2 row 15',
  },
  {
    id: 'app rm',
    command: ['app', 'rm'],
    argv: ['app', 'rm', '<domain>', '--force', '--no-input'],
    flags: ['--force', '--no-input'],
    terminal: false,
    parsed: 'exit status; teardown then sweeps by label and name and verifies',
    evidence: 'U',
    source: 'interfaces.md A.5',
  },
  {
    id: 'app backup create',
    command: ['app', 'backup', 'create'],
    argv: ['app', 'backup', 'create', '<domain>', '--chaos', '--offline', '--no-input'],
    flags: ['--chaos', '--offline', '--no-input'],
    terminal: true,
    parsed:
      'exit status and the last line (the snapshot); ' +
      'abra execs into backup-bot-two with a terminal and fails without one',
    evidence: 'V3',
    source: "interfaces.md A.8.2 row 9, B.4; terminal: the first cc-ci's `_run_pty` (A.8); --chaos on it [U]",
  },
  {
    id: 'app restore',
    command: ['app', 'restore'],
    argv: ['app', 'restore', '<domain>', '--chaos', '--offline', '--no-input'],
    flags: ['--chaos', '--offline', '--no-input'],
    terminal: true,
    parsed: 'exit status and the last line; backup-bot-two overwrites files and deletes nothing',
    evidence: 'V3',
    source: 'interfaces.md A.8.2 row 10, B.4; terminal as for backup create; --chaos on it [U]',
  },
  {
    id: 'recipe lint',
    command: ['recipe', 'lint'],
    argv: ['recipe', 'lint', '<recipe>', '--offline', '--no-input'],
    flags: ['--offline', '--no-input'],
    optionalFlags: ['--chaos', '--machine'],
    terminal: true,
    parsed:
      'the rule table (ref, rule, severity, satisfied ✅/❌, skipped, resolve), box drawing and colours stripped; ' +
      'JSON instead when --help lists --machine. ' +
      'Non-zero exit without a table, or no table, is "could not lint" (error)',
    evidence: 'U',
    source: 'interfaces.md A.8.5 (never recorded); terminal: the first cc-ci ran it under `_run_pty` [V3]',
  },
];

/**
 * `abra <command…> --help`: asked once per command and adapter for a call with optional flags;
 * a flag counts as there when cobra's `Flags:` or `Global Flags:` lists it.
 */
export function helpArgv(command: readonly string[]): string[] {
  return [...command, '--help'];
}

export function abraCall(id: AbraCallId): AbraCall {
  const call = abraCalls.find((c) => c.id === id);
  if (!call) throw new Error(`no abra call ${id} in abra-calls.ts`);
  return call;
}
