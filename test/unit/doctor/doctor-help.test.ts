// The --help reader of `cc-ci doctor`: cobra's format (Usage, Aliases, Flags, Global Flags),
// short and long flags, flags with values, aliases, and the parent's help for an unknown command.
import { describe, expect, it } from 'vitest';
import { hasFlag, helpIsFor, parseCobraHelp } from '../../../src/abra/cobra-help.js';

const deployHelp = `Deploy an app.

This command supports chaos operations. Use "--chaos/-C" to deploy your recipe
checkout as-is.

Usage:
  abra app deploy <domain> [version] [flags]

Aliases:
  deploy, d

Examples:
  # standard deployment
  abra app deploy 1312.net

  # chaos deployment
  abra app deploy 1312.net --chaos

Flags:
  -C, --chaos                ignore uncommitted recipes changes
  -f, --force                perform action without further prompt
  -h, --help                 help for deploy
  -i, --ignore-env-version   ignore .env version checkout
  -c, --no-converge-checks   disable converge logic checks
  -D, --no-domain-checks     disable public DNS checks

Global Flags:
  -d, --debug      show debug messages
  -n, --no-input   toggle non-interactive mode
  -o, --offline    prefer offline & filesystem access
`;

const appHelp = `Manage apps.

Usage:
  abra app [command]

Aliases:
  app, a

Available Commands:
  backup      Manage app backups
  deploy      Deploy an app
  new         Create a new app
  remove      Remove all app data, locally and remotely

Flags:
  -h, --help   help for app

Global Flags:
  -d, --debug      show debug messages
  -n, --no-input   toggle non-interactive mode

Use "abra app [command] --help" for more information about a command.
`;

const newHelp = `Create a new app.

Usage:
  abra app new [recipe] [version] [flags]

Aliases:
  new, n

Flags:
  -C, --chaos           ignore uncommitted recipes changes
  -D, --domain string   domain name for app
  -h, --help            help for new
  -p, --pass            store secrets in a local pass store
  -S, --secrets         automatically generate secrets
  -s, --server string   specify server for new app
      --no-tty          no terminal (a long-only flag)

Global Flags:
  -n, --no-input   toggle non-interactive mode
`;

const rootHelp = `The Co-op Cloud command-line utility belt 🎩🐇

Usage:
  abra [command]

Available Commands:
  app         Manage apps
  recipe      Manage recipes

Flags:
  -d, --debug      show debug messages
  -h, --help       help for abra
  -n, --no-input   toggle non-interactive mode
  -o, --offline    prefer offline & filesystem access
  -v, --version    version for abra
`;

describe('parseCobraHelp', () => {
  it('reads the usage path, the aliases and both flag sections', () => {
    const h = parseCobraHelp(deployHelp);
    expect(h.usagePath).toEqual(['app', 'deploy']);
    expect(h.aliases).toEqual(['deploy', 'd']);
    expect([...h.flags]).toEqual(
      expect.arrayContaining(['-C', '--chaos', '-c', '--no-converge-checks', '-D', '--no-domain-checks']),
    );
    expect(h.flags.has('--no-input')).toBe(false);
    expect([...h.globalFlags]).toEqual(['-d', '--debug', '-n', '--no-input', '-o', '--offline']);
  });

  it('takes no flag or command from the examples or the description', () => {
    const h = parseCobraHelp(deployHelp);
    expect(h.flags.has('--chaos/-C')).toBe(false);
    expect(h.subcommands).toEqual([]);
  });

  it('knows a flag by its short or long form, its own or inherited', () => {
    const h = parseCobraHelp(deployHelp);
    for (const f of ['-c', '--no-converge-checks', '-n', '--no-input', '--offline'])
      expect(hasFlag(h, f), f).toBe(true);
    for (const f of ['--machine', '-m', '--converge']) expect(hasFlag(h, f), f).toBe(false);
  });

  it('reads flags with a value type and long-only flags', () => {
    const h = parseCobraHelp(newHelp);
    expect(hasFlag(h, '--server')).toBe(true);
    expect(hasFlag(h, '-s')).toBe(true);
    expect(hasFlag(h, '--domain')).toBe(true);
    expect(hasFlag(h, '--no-tty')).toBe(true);
    expect(hasFlag(h, 'string')).toBe(false);
    expect(h.usagePath).toEqual(['app', 'new']);
  });

  it('reads a parent command: its path and subcommands', () => {
    const h = parseCobraHelp(appHelp);
    expect(h.usagePath).toEqual(['app']);
    expect(h.subcommands).toEqual(['backup', 'deploy', 'new', 'remove']);
  });

  it('reads the root help: an empty path and --version', () => {
    const h = parseCobraHelp(rootHelp);
    expect(h.usagePath).toEqual([]);
    expect(hasFlag(h, '--version')).toBe(true);
    expect(helpIsFor(h, [])).toBe(true);
  });

  it('ignores terminal colours', () => {
    const h = parseCobraHelp(deployHelp.replace('--no-converge-checks', '\u001b[1m--no-converge-checks\u001b[0m'));
    expect(hasFlag(h, '--no-converge-checks')).toBe(true);
  });

  it('reads an urfave/cli-style help the same way', () => {
    const h = parseCobraHelp(`NAME:
   abra app deploy - Deploy an app

USAGE:
   abra app deploy [command options] <domain> [<version>]

OPTIONS:
   --chaos, -C               ignore uncommitted recipes changes (default: false)
   --no-converge-checks, -c  disable converge logic checks (default: false)
   --server value, -s value  the server
`);
    expect(h.usagePath).toEqual(['app', 'deploy']);
    for (const f of ['--chaos', '-C', '-c', '--no-converge-checks', '--server', '-s'])
      expect(hasFlag(h, f), f).toBe(true);
  });

  it('finds nothing in a text that is not a help', () => {
    const h = parseCobraHelp('FATA unknown command "nope" for "abra"\n');
    expect(h.usagePath).toBeUndefined();
    expect(h.flags.size).toBe(0);
  });
});

describe('helpIsFor', () => {
  it('is the command asked for, by its name or an alias', () => {
    expect(helpIsFor(parseCobraHelp(deployHelp), ['app', 'deploy'])).toBe(true);
    expect(helpIsFor(parseCobraHelp(deployHelp), ['app', 'd'])).toBe(true);
    expect(
      helpIsFor(
        parseCobraHelp(
          deployHelp.replace('abra app deploy <domain>', 'abra app remove <domain>').replace('deploy, d', 'remove, rm'),
        ),
        ['app', 'rm'],
      ),
    ).toBe(true);
  });

  it("is not: cobra shows the parent's help for an unknown subcommand", () => {
    expect(helpIsFor(parseCobraHelp(appHelp), ['app', 'frobnicate'])).toBe(false);
    expect(helpIsFor(parseCobraHelp(rootHelp), ['recipe', 'lint'])).toBe(false);
  });

  it('is not when the last word is neither the name nor an alias', () => {
    expect(helpIsFor(parseCobraHelp(deployHelp), ['app', 'undeploy'])).toBe(false);
  });

  it('is not without a usage line', () => {
    expect(helpIsFor(parseCobraHelp(''), [])).toBe(false);
  });
});
