// The command table: words (with aliases), flags, positional counts and the handler.
import { flagBool as b, flagString as s, type FlagSpec, type Parsed } from './args.js';
import { appNewCommand } from './appnew.js';
import { loadApp } from './app.js';
import { backupCreateCommand, snapshotsCommand } from './backup.js';
import { deployCommand } from './deploy.js';
import { lintCommand } from './lint.js';
import { lsCommand, psCommand } from './ls.js';
import { removeCommand, undeployCommand } from './remove.js';
import { restoreCommand } from './restore.js';
import { generateSecrets, printSecrets } from './secrets.js';
import { upgradeCommand } from './upgrade.js';
import { fail } from './log.js';

export interface Command {
  /** each level's name followed by its aliases */
  words: string[][];
  usage: string;
  flags: FlagSpec[];
  min: number;
  max: number;
  run: (p: Parsed) => Promise<void> | void;
}

const f = (long: string, short?: string, value = false): FlagSpec => ({ long, short, value });
const MACHINE = f('machine', 'm');
const CHAOS = f('chaos', 'C');
const FORCE = f('force', 'f');
const NO_CONVERGE = f('no-converge-checks', 'c');
const APP = ['app', 'a'];
const pos = (p: Parsed, i: number): string | undefined => p.positionals[i];
const domain = (p: Parsed): string => pos(p, 0) ?? '';

export const COMMANDS: Command[] = [
  { words: [APP, ['new', 'n']], usage: 'app new <recipe> [version] -s <server> -D <domain> [-S] [-C] [-m]',
    flags: [f('server', 's', true), f('domain', 'D', true), f('secrets', 'S'), CHAOS, MACHINE, f('pass', 'p')], min: 1, max: 2,
    run: (p) => appNewCommand(domain(p), pos(p, 1), {
      server: s(p, 'server'), domain: s(p, 'domain'), secrets: b(p, 'secrets'), chaos: b(p, 'chaos'), machine: b(p, 'machine'),
    }) },
  { words: [APP, ['deploy', 'd']], usage: 'app deploy <domain> [version] [-C] [-c] [-f] [-i]',
    flags: [CHAOS, FORCE, NO_CONVERGE, f('ignore-env-version', 'i'), f('no-domain-checks', 'D')], min: 1, max: 2,
    run: (p) => deployCommand(domain(p), pos(p, 1), {
      chaos: b(p, 'chaos'), force: b(p, 'force'), ignoreEnvVersion: b(p, 'ignore-env-version'), noConvergeChecks: b(p, 'no-converge-checks'),
    }) },
  { words: [APP, ['upgrade', 'up']], usage: 'app upgrade <domain> [version] [-f] [-c]',
    flags: [FORCE, NO_CONVERGE, f('releasenotes', 'r')], min: 1, max: 2,
    run: (p) => upgradeCommand(domain(p), pos(p, 1), { force: b(p, 'force'), noConvergeChecks: b(p, 'no-converge-checks') }) },
  { words: [APP, ['undeploy', 'un']], usage: 'app undeploy <domain> [-p]', flags: [f('prune', 'p')], min: 1, max: 1,
    run: (p) => undeployCommand(domain(p), b(p, 'prune')) },
  { words: [APP, ['remove', 'rm']], usage: 'app rm <domain> [-f]', flags: [FORCE], min: 1, max: 1,
    run: (p) => removeCommand(domain(p)) },
  { words: [APP, ['list', 'ls']], usage: 'app ls [-s <server>] [-r <recipe>] [-S] [-m]',
    flags: [f('server', 's', true), f('recipe', 'r', true), f('status', 'S'), MACHINE], min: 0, max: 0,
    run: (p) => lsCommand({ server: s(p, 'server'), recipe: s(p, 'recipe'), status: b(p, 'status'), machine: b(p, 'machine') }) },
  { words: [APP, ['ps']], usage: 'app ps <domain> [-m]', flags: [MACHINE, f('watch', 'w')], min: 1, max: 1,
    run: (p) => psCommand(domain(p), b(p, 'machine')) },
  { words: [APP, ['secret', 's'], ['generate', 'g']], usage: 'app secret generate <domain> [<secret> <version> | -a] [-m]',
    flags: [f('all', 'a'), MACHINE, f('pass', 'p')], min: 1, max: 3,
    run: async (p) => {
      const all = b(p, 'all');
      const [id, version] = [pos(p, 1), pos(p, 2)];
      if (all === (id !== undefined)) fail('give either <secret> <version> or --all');
      if (!all && version === undefined) fail('missing <version> after the secret name');
      const app = await loadApp(domain(p));
      printSecrets(await generateSecrets(app, all ? undefined : { id: id ?? '', version: version ?? '' }), b(p, 'machine'));
    } },
  { words: [APP, ['backup', 'b'], ['create', 'c']], usage: 'app backup create <domain>', flags: [], min: 1, max: 1,
    run: (p) => backupCreateCommand(domain(p)) },
  { words: [APP, ['backup', 'b'], ['snapshots', 'list', 'ls']], usage: 'app backup snapshots <domain> [-m]', flags: [MACHINE], min: 1, max: 1,
    run: (p) => snapshotsCommand(domain(p), b(p, 'machine')) },
  { words: [APP, ['restore', 'rs']], usage: 'app restore <domain> [-s <snapshot>]', flags: [f('snapshot', 's', true)], min: 1, max: 1,
    run: (p) => restoreCommand(domain(p), s(p, 'snapshot')) },
  { words: [['recipe', 'r'], ['lint', 'l']], usage: 'recipe lint <recipe> [-m]', flags: [MACHINE], min: 1, max: 1,
    run: (p) => lintCommand(domain(p), b(p, 'machine')) },
];
