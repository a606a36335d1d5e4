// Every abra call cc-ci makes, in one table: the argv (placeholders in <>), whether it needs a
// terminal, what cc-ci reads from it, and the evidence for each part (tags of
// ../shared/reference/interfaces.md: V verified, V3 the first cc-ci's records, U unverified).
// The adapter (abra.ts) builds its argv from here, `cc-ci doctor` checks each command and flag
// against the installed abra's --help, and docs/abra-contract.md is kept in sync by a test.
// SKELETON: the real-abra work fills in and corrects every row.

export type Evidence = 'V' | 'V3' | 'U';

export interface AbraCall {
  /** Short name, also the key the adapter uses: 'app new', 'recipe lint', … */
  id: string;
  /** The subcommand path, for `abra <command…> --help`. */
  command: string[];
  /** The argv after the binary, placeholders like `<domain>` filled in by the adapter. */
  argv: string[];
  /** Flags cc-ci passes (long form where there is one); each must appear in the command's --help. */
  flags: string[];
  /** Runs under a pseudo-terminal (abra needs one there). */
  terminal: boolean;
  /** What cc-ci reads from the output, and what it treats as failure. */
  parsed: string;
  evidence: Evidence;
  /** Where the evidence is (interfaces.md section, or the first cc-ci's record). */
  source: string;
}

export const abraCalls: readonly AbraCall[] = [
  { id: 'version', command: [], argv: ['--version'], flags: ['--version'], terminal: false, parsed: 'the version line', evidence: 'V3', source: 'interfaces.md A.8.2 row 1' },
  { id: 'app new', command: ['app', 'new'], argv: ['app', 'new', '<recipe>', '--server', '<server>', '--domain', '<domain>', '--chaos', '--offline', '-n'], flags: ['--server', '--domain', '--chaos', '--offline', '--no-input'], terminal: false, parsed: 'exit status', evidence: 'U', source: 'interfaces.md A.5' },
  { id: 'app secret generate', command: ['app', 'secret', 'generate'], argv: ['app', 'secret', 'generate', '<domain>', '--all', '--machine', '-n'], flags: ['--all', '--machine', '--no-input'], terminal: false, parsed: 'JSON list of {name, value}', evidence: 'U', source: 'interfaces.md A.5' },
  { id: 'app deploy', command: ['app', 'deploy'], argv: ['app', 'deploy', '<domain>', '<version|--chaos>', '--force', '--no-converge-checks', '--offline', '-n'], flags: ['--chaos', '--force', '--no-converge-checks', '--offline', '--no-input'], terminal: false, parsed: 'exit status; FATA line on stdout', evidence: 'V3', source: 'interfaces.md A.5, A.8.2 rows 4–6' },
  { id: 'app undeploy', command: ['app', 'undeploy'], argv: ['app', 'undeploy', '<domain>', '-n'], flags: ['--no-input'], terminal: false, parsed: 'exit status', evidence: 'U', source: 'interfaces.md A.5' },
  { id: 'app rm', command: ['app', 'rm'], argv: ['app', 'rm', '<domain>', '--force', '-n'], flags: ['--force', '--no-input'], terminal: false, parsed: 'exit status', evidence: 'U', source: 'interfaces.md A.5' },
  { id: 'app backup create', command: ['app', 'backup', 'create'], argv: ['app', 'backup', 'create', '<domain>', '-n'], flags: ['--no-input'], terminal: false, parsed: 'exit status', evidence: 'V3', source: 'interfaces.md A.8' },
  { id: 'app restore', command: ['app', 'restore'], argv: ['app', 'restore', '<domain>', '-n'], flags: ['--no-input'], terminal: false, parsed: 'exit status', evidence: 'V3', source: 'interfaces.md A.8' },
  { id: 'recipe lint', command: ['recipe', 'lint'], argv: ['recipe', 'lint', '<recipe>', '--machine', '--offline', '-n'], flags: ['--machine', '--offline', '--no-input'], terminal: false, parsed: 'JSON rule list', evidence: 'U', source: 'interfaces.md A.5' },
];
