// The abra adapter against a scriptable fake abra (test/support/fake-abra.ts): which argv
// each call passes, which calls get a terminal, and how output and exit codes are read.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CcciError } from '../../../src/model/errors.js';
import { createAbraCli, type Abra } from '../../../src/abra/abra.js';
import { readEnvFile } from '../../../src/abra/env-file.js';
import { fakeRecipe, makeFakeAbra, type FakeAbra } from '../../support/fake-abra.js';

// The table as the real abra is most likely to print it (a guess: lipgloss, thick border, ✅/❌).
const LINT_TABLE = [
  '┏━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━' +
    '┳━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓',
  '┃ REF  ┃ RULE                                        ' +
    '┃ SEVERITY ┃ SATISFIED ┃ SKIPPED ┃ RESOLVE                                    ┃',
  '┣━━━━━━╋━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━' +
    '╋━━━━━━━━━━╋━━━━━━━━━━━╋━━━━━━━━━╋━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┫',
  '┃ R001 ┃ compose config has expected version         ' +
    '┃ warn     ┃ ✅        ┃ -       ┃ -                                          ┃',
  '┃ R006 ┃ has published catalogue version             ' +
    '┃ warn     ┃ ❌        ┃ ✅      ┃ -                                          ┃',
  '┃ R014 ┃ only annotated tags used for recipe version ' +
    '┃ error    ┃ ❌        ┃ -       ┃ replace lightweight tag with annotated tag ┃',
  '┗━━━━━━┻━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━' +
    '┻━━━━━━━━━━┻━━━━━━━━━━━┻━━━━━━━━━┻━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┛',
].join('\n');

const COMPOSE_WITH_SECRET =
  'services:\n  app:\n    image: nginx:1\nsecrets:\n  db_password:\n    external: true\n' +
  '    name: ${STACK_NAME}_db_password_${SECRET_DB_PASSWORD_VERSION}\n';
const COMPOSE_NO_SECRET = 'services:\n  app:\n    image: nginx:1\n';

let root: string;
let fake: FakeAbra;
let abra: Abra;
let lines: string[];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'abra-adapter-'));
  fake = makeFakeAbra(root);
  lines = [];
  abra = createAbraCli({ binary: fake.binary, abraDir: fake.abraDir, server: 'ci', onLine: (l) => lines.push(l) });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const argvOf = (prefix: string) =>
  fake.calls().filter((c) => c.argv.join(' ').startsWith(prefix) && !c.argv.includes('--help'));

async function newApp(recipe: string, compose: string, domain = 'rec-abc123.ci.test'): Promise<string> {
  fakeRecipe(fake.abraDir, recipe, compose);
  await abra.appNew(recipe, domain);
  return domain;
}

describe('abra recipe lint (item 1)', () => {
  it('runs under a terminal, without --machine when --help lists none, and reads the box table', async () => {
    fake.answer(
      'recipe lint',
      `${LINT_TABLE.replaceAll('\n', '\r\n')}\r\nWARN critical errors present in rec config\r\n`,
    );
    const rules = await abra.lint('rec');
    const call = argvOf('recipe lint')[0]!;
    expect(call.tty).toBe(true);
    expect(call.argv).toEqual(['recipe', 'lint', 'rec', '--offline', '--no-input']);
    expect(rules).toEqual([
      { ref: 'R001', rule: 'compose config has expected version', severity: 'warn', satisfied: true, skipped: false },
      { ref: 'R006', rule: 'has published catalogue version', severity: 'warn', satisfied: false, skipped: true },
      {
        ref: 'R014',
        rule: 'only annotated tags used for recipe version',
        severity: 'error',
        satisfied: false,
        skipped: false,
        resolve: 'replace lightweight tag with annotated tag',
      },
    ]);
  });
  it('passes --machine and --chaos when --help lists them, reads the JSON, and asks --help once', async () => {
    fake.help(
      'recipe lint',
      'Usage:\n  abra recipe lint <recipe> [flags]\n\nFlags:\n' +
        '  -C, --chaos     ignore uncommitted recipes changes\n  -m, --machine   machine-readable output\n',
    );
    fake.answer(
      'recipe lint',
      'INFO linting\n[{"ref":"R001","rule":"compose config has expected version","severity":"warn",' +
        '"satisfied":true,"skipped":false,"resolve":""}]\n',
    );
    expect(await abra.lint('rec')).toEqual([
      { ref: 'R001', rule: 'compose config has expected version', severity: 'warn', satisfied: true, skipped: false },
    ]);
    await abra.lint('rec');
    expect(argvOf('recipe lint')[0]!.argv).toEqual([
      'recipe',
      'lint',
      'rec',
      '--offline',
      '--no-input',
      '--chaos',
      '--machine',
    ]);
    expect(fake.calls().filter((c) => c.argv.includes('--help'))).toHaveLength(1);
  });
  it('reads a full table even when abra exits non-zero for a failing error rule', async () => {
    fake.answer('recipe lint', `${LINT_TABLE}\nFATA critical errors present in rec config\n`, 1);
    expect((await abra.lint('rec')).find((r) => r.ref === 'R014')?.satisfied).toBe(false);
  });
  it('is ABRA_FAILED ("could not lint") on a non-zero exit without a table, or on no table at all', async () => {
    fake.answer('recipe lint', 'FATA unable to find recipe rec\n', 1);
    await expect(abra.lint('rec')).rejects.toMatchObject({
      code: 'ABRA_FAILED',
      message: expect.stringMatching(/could not lint rec.*exited 1: FATA unable to find recipe rec/),
    });
    fake.answer('recipe lint', 'INFO nothing to see\n', 0);
    await expect(abra.lint('rec')).rejects.toMatchObject({
      code: 'ABRA_FAILED',
      message: expect.stringMatching(/printed no rule table.*nothing to see/),
    });
  });
});

describe('abra app backup create and restore (items 2 and 4)', () => {
  it('run under a terminal with --chaos --offline', async () => {
    fake.answer('app backup create', 'INFO backup created: snapshot 1a2b3c4d\r\n');
    expect(await abra.backupCreate('x.ci.test')).toContain('snapshot 1a2b3c4d');
    await abra.restore('x.ci.test');
    for (const [prefix, argv] of [
      ['app backup create', ['app', 'backup', 'create', 'x.ci.test']],
      ['app restore', ['app', 'restore', 'x.ci.test']],
    ] as const) {
      const call = argvOf(prefix)[0]!;
      expect(call.tty).toBe(true);
      expect(call.argv).toEqual([...argv, '--chaos', '--offline', '--no-input']);
    }
  });
  it('a failure is ABRA_FAILED quoting abra (blame.ts decides whose it is)', async () => {
    fake.answer('app backup create', 'FATA the input device is not a TTY\r\n', 1);
    const err = await abra.backupCreate('x.ci.test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CcciError);
    expect(err).toMatchObject({
      code: 'ABRA_FAILED',
      message: 'abra app backup create (under a terminal) exited 1: FATA the input device is not a TTY',
    });
  });
  it("says how it failed, from abra's own words (the fact blame.ts reads)", async () => {
    fake.answer('app backup create', 'FATA the input device is not a TTY\r\n', 1);
    expect(await abra.backupCreate('x.ci.test').catch((e: unknown) => e)).toMatchObject({
      fact: { source: 'abra', kind: 'no-terminal', command: 'abra app backup create' },
    });
    fake.answer('app restore', 'FATA no snapshots found for this app\r\n', 1);
    expect(await abra.restore('x.ci.test').catch((e: unknown) => e)).toMatchObject({
      fact: { source: 'abra', kind: 'exited', command: 'abra app restore' },
    });
  });
});

describe('abra app secret generate (items 3 and 4)', () => {
  it('is not called when the compose files declare no secrets', async () => {
    const domain = await newApp('plain', COMPOSE_NO_SECRET);
    expect(await abra.generateSecrets(domain)).toEqual([]);
    expect(argvOf('app secret generate')).toHaveLength(0);
  });
  it('passes --all --chaos --offline, reads the NAME/VALUE table without --machine, and logs no value', async () => {
    const domain = await newApp('db', COMPOSE_WITH_SECRET);
    fake.answer(
      'app secret generate',
      '┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┓\n' +
        '┃ NAME        ┃ VALUE            ┃\n' +
        '┣━━━━━━━━━━━━━╋━━━━━━━━━━━━━━━━━━┫\n' +
        '┃ db_password ┃ s3cr3tv4lue0123x ┃\n' +
        '┗━━━━━━━━━━━━━┻━━━━━━━━━━━━━━━━━━┛\n',
    );
    expect(await abra.generateSecrets(domain)).toEqual([{ name: 'db_password', value: 's3cr3tv4lue0123x' }]);
    expect(argvOf('app secret generate')[0]!.argv).toEqual([
      'app',
      'secret',
      'generate',
      domain,
      '--all',
      '--chaos',
      '--offline',
      '--no-input',
    ]);
    expect(lines.join('\n')).not.toContain('s3cr3tv4lue0123x');
  });
  it('uses --machine when --help lists it', async () => {
    const domain = await newApp('db', COMPOSE_WITH_SECRET);
    fake.help(
      'app secret generate',
      'Usage:\n  abra app secret generate <domain> [flags]\n\nFlags:\n  -a, --all       all\n  -m, --machine   json\n',
    );
    fake.answer('app secret generate', '[{"name":"db_password","value":"v4lue"}]\n');
    expect(await abra.generateSecrets(domain)).toEqual([{ name: 'db_password', value: 'v4lue' }]);
    expect(argvOf('app secret generate')[0]!.argv.at(-1)).toBe('--machine');
  });
  it('tolerates "no secrets generated" with exit 1, and refuses output it cannot read (unmaskable)', async () => {
    const domain = await newApp('db', COMPOSE_WITH_SECRET);
    fake.answer('app secret generate', 'WARN no secrets generated\n', 1);
    expect(await abra.generateSecrets(domain)).toEqual([]);
    fake.answer('app secret generate', 'here you go: hunter2\n', 0);
    await expect(abra.generateSecrets(domain)).rejects.toMatchObject({
      code: 'ABRA_FAILED',
      message: expect.stringMatching(/could not be masked/),
    });
  });
});

describe('abra app deploy (item 5) and app new (item 6)', () => {
  it('deploys with --no-domain-checks, chaos or a version', async () => {
    await abra.deploy('x.ci.test', { chaos: true });
    await abra.deploy('x.ci.test', { version: '1.0.0+1.27.2' });
    expect(argvOf('app deploy').map((c) => c.argv)).toEqual([
      [
        'app',
        'deploy',
        'x.ci.test',
        '--chaos',
        '--force',
        '--no-converge-checks',
        '--no-domain-checks',
        '--offline',
        '--no-input',
      ],
      [
        'app',
        'deploy',
        'x.ci.test',
        '1.0.0+1.27.2',
        '--force',
        '--no-converge-checks',
        '--no-domain-checks',
        '--offline',
        '--no-input',
      ],
    ]);
    expect(argvOf('app deploy').every((c) => !c.tty)).toBe(true);
  });
  it('sets DOMAIN in the app .env after app new, whatever the sample said', async () => {
    const domain = await newApp('site', COMPOSE_NO_SECRET, 'site-abc123.ci.test');
    expect(argvOf('app new')[0]!.argv).toEqual([
      'app',
      'new',
      'site',
      '--server',
      'ci',
      '--domain',
      domain,
      '--chaos',
      '--offline',
      '--no-input',
    ]);
    expect(readEnvFile(abra.envFile(domain)).DOMAIN).toBe(domain);
    expect(readFileSync(abra.envFile(domain), 'utf8')).toContain('LETS_ENCRYPT_ENV=production');
  });
  it('app new that exits 0 but writes no .env is ABRA_FAILED naming the path', async () => {
    const silent = createAbraCli({ binary: '/bin/true', abraDir: fake.abraDir, server: 'nowhere' });
    await expect(silent.appNew('site', 'b.ci.test')).rejects.toMatchObject({
      code: 'ABRA_FAILED',
      message: expect.stringMatching(/wrote no .*nowhere\/b\.ci\.test\.env/),
    });
    await expect(silent.appNew('site', 'b.ci.test')).rejects.toMatchObject({
      fact: { source: 'abra', kind: 'unexpected-result' },
    });
  });
});
