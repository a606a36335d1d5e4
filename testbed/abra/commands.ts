// The command table: words (with aliases), flags, positional counts, whether the command needs a
// terminal, and the handler. help.ts renders cobra-style --help from it.
import { flagBool as b, flagString as s, type FlagSpec, type Parsed } from './args.js';
import { appNewCommand } from './appnew.js';
import { loadApp } from './app.js';
import { backupCreateCommand, snapshotsCommand } from './backup.js';
import { deployCommand } from './deploy.js';
import { ensureRecipe } from './ensure.js';
import { lintCommand } from './lint.js';
import { lsCommand, psCommand } from './ls.js';
import { removeCommand, undeployCommand } from './remove.js';
import { restoreCommand } from './restore.js';
import { generateSecrets, insertSecret, printSecrets } from './secrets.js';
import { upgradeCommand } from './upgrade.js';
import { fail, warn } from './log.js';

export interface Command {
  /** each level's name followed by its aliases */
  words: string[][];
  usage: string;
  /** one line for --help */
  short: string;
  flags: FlagSpec[];
  min: number;
  max: number;
  /** refuses to run without a terminal on stdin and stdout (see terminal.ts) */
  terminal?: boolean;
  run: (p: Parsed) => Promise<void> | void;
}

const f = (long: string, short: string | undefined, help: string, value = false): FlagSpec => ({
  long,
  short,
  value,
  help,
});
const MACHINE = f('machine', 'm', 'print machine-readable output');
const CHAOS = f('chaos', 'C', 'ignore uncommitted recipes changes');
const FORCE = f('force', 'f', 'perform action without further prompt');
const NO_CONVERGE = f('no-converge-checks', 'c', 'disable converge logic checks');
const APP = ['app', 'a'];
const pos = (p: Parsed, i: number): string | undefined => p.positionals[i];
const domain = (p: Parsed): string => pos(p, 0) ?? '';

export const COMMANDS: Command[] = [
  {
    words: [APP, ['new', 'n']],
    usage: 'app new [recipe] [version] [flags]',
    short: 'Create a new app',
    flags: [
      f('server', 's', 'specify server for new app', true),
      f('domain', 'D', 'domain name for app', true),
      f('secrets', 'S', 'automatically generate secrets'),
      CHAOS,
      MACHINE,
      f('pass', 'p', 'store secrets in a local pass store'),
    ],
    min: 1,
    max: 2,
    run: (p) =>
      appNewCommand(domain(p), pos(p, 1), {
        server: s(p, 'server'),
        domain: s(p, 'domain'),
        secrets: b(p, 'secrets'),
        chaos: b(p, 'chaos'),
        machine: b(p, 'machine'),
      }),
  },
  {
    words: [APP, ['deploy', 'd']],
    usage: 'app deploy <domain> [version] [flags]',
    short: 'Deploy an app',
    flags: [
      CHAOS,
      FORCE,
      NO_CONVERGE,
      f('ignore-env-version', 'i', 'ignore .env version checkout'),
      f('no-domain-checks', 'D', 'disable public DNS checks'),
    ],
    min: 1,
    max: 2,
    run: (p) =>
      deployCommand(domain(p), pos(p, 1), {
        chaos: b(p, 'chaos'),
        force: b(p, 'force'),
        ignoreEnvVersion: b(p, 'ignore-env-version'),
        noConvergeChecks: b(p, 'no-converge-checks'),
        noDomainChecks: b(p, 'no-domain-checks'),
      }),
  },
  {
    words: [APP, ['upgrade', 'up']],
    usage: 'app upgrade <domain> [version] [flags]',
    short: 'Upgrade an app',
    flags: [FORCE, NO_CONVERGE, f('releasenotes', 'r', 'only show release notes')],
    min: 1,
    max: 2,
    run: (p) =>
      upgradeCommand(domain(p), pos(p, 1), { force: b(p, 'force'), noConvergeChecks: b(p, 'no-converge-checks') }),
  },
  {
    words: [APP, ['undeploy', 'un']],
    usage: 'app undeploy <domain> [flags]',
    short: 'Undeploy a deployed app',
    flags: [f('prune', 'p', 'prune unused containers, networks, and dangling images')],
    min: 1,
    max: 1,
    run: (p) => undeployCommand(domain(p), b(p, 'prune')),
  },
  {
    words: [APP, ['remove', 'rm']],
    usage: 'app remove <domain> [flags]',
    short: 'Remove all app data, locally and remotely',
    flags: [FORCE],
    min: 1,
    max: 1,
    run: (p) => removeCommand(domain(p)),
  },
  {
    words: [APP, ['list', 'ls']],
    usage: 'app list [flags]',
    short: 'List all managed apps',
    flags: [
      f('server', 's', 'show apps of a specific server', true),
      f('recipe', 'r', 'show apps of a specific recipe', true),
      f('status', 'S', 'show app deployment status'),
      MACHINE,
    ],
    min: 0,
    max: 0,
    run: (p) =>
      lsCommand({ server: s(p, 'server'), recipe: s(p, 'recipe'), status: b(p, 'status'), machine: b(p, 'machine') }),
  },
  {
    words: [APP, ['ps']],
    usage: 'app ps <domain> [flags]',
    short: 'Check app deployment status',
    flags: [MACHINE, f('watch', 'w', 'watch status by polling repeatedly')],
    min: 1,
    max: 1,
    run: (p) => psCommand(domain(p), b(p, 'machine')),
  },
  {
    words: [APP, ['secret', 's'], ['generate', 'g']],
    usage: 'app secret generate <domain> [[secret] [version] | --all] [flags]',
    short: 'Generate secrets',
    flags: [
      f('all', 'a', 'generate all secrets'),
      MACHINE,
      f('pass', 'p', 'store generated secrets in a local pass store'),
      CHAOS,
    ],
    min: 1,
    max: 3,
    run: async (p) => {
      const all = b(p, 'all');
      const [id, version] = [pos(p, 1), pos(p, 2)];
      if (all === (id !== undefined)) fail('give either <secret> <version> or --all');
      if (!all && version === undefined) fail('missing <version> after the secret name');
      const app = await loadApp(domain(p));
      if (!b(p, 'chaos')) await ensureRecipe(app);
      const secrets = await generateSecrets(app, all ? undefined : { id: id ?? '', version: version ?? '' });
      if (secrets.length === 0) {
        // [U] as the real abra is remembered: a warning and exit status 1
        warn('no secrets generated');
        process.exitCode = 1;
        return;
      }
      printSecrets(secrets, b(p, 'machine'));
    },
  },
  {
    words: [APP, ['secret', 's'], ['insert', 'i']],
    usage: 'app secret insert <domain> <secret> <version> <data> [flags]',
    short: 'Insert secret',
    flags: [
      f('file', 'f', 'treat input as a file'),
      f('trim', 't', 'trim input'),
      f('pass', 'p', 'store inserted secret in a local pass store'),
      CHAOS,
    ],
    min: 4,
    max: 4,
    run: async (p) => {
      const app = await loadApp(domain(p));
      await insertSecret(app, pos(p, 1) ?? '', pos(p, 2) ?? '', pos(p, 3) ?? '', {
        file: b(p, 'file'),
        trim: b(p, 'trim'),
      });
    },
  },
  {
    words: [APP, ['backup', 'b'], ['create', 'c']],
    usage: 'app backup create <domain> [flags]',
    short: 'Create a new backup',
    flags: [CHAOS],
    min: 1,
    max: 1,
    terminal: true,
    run: (p) => backupCreateCommand(domain(p), b(p, 'chaos')),
  },
  {
    words: [APP, ['backup', 'b'], ['snapshots', 'list', 'ls']],
    usage: 'app backup snapshots <domain> [flags]',
    short: 'List backup snapshots',
    flags: [MACHINE],
    min: 1,
    max: 1,
    run: (p) => snapshotsCommand(domain(p), b(p, 'machine')),
  },
  {
    words: [APP, ['restore', 'rs']],
    usage: 'app restore <domain> [flags]',
    short: 'Restore a snapshot',
    flags: [f('snapshot', 's', 'snapshot to restore', true), CHAOS],
    min: 1,
    max: 1,
    terminal: true,
    run: (p) => restoreCommand(domain(p), s(p, 'snapshot'), b(p, 'chaos')),
  },
  {
    words: [
      ['recipe', 'r'],
      ['lint', 'l'],
    ],
    usage: 'recipe lint <recipe> [flags]',
    short: 'Lint a recipe',
    flags: [CHAOS],
    min: 1,
    max: 1,
    terminal: true,
    run: (p) => lintCommand(domain(p), b(p, 'chaos'), b(p, 'offline')),
  },
];
