// The doctor's runner and its abra comparison, with fakes: results in the listed order, a failing
// check makes exit 1 and prints its fix, a check that needs a failed one is skipped, a hung or
// throwing check is a failure (not a hang or a crash), and every missing abra command and flag
// is named with the cc-ci call that uses it.
import { describe, expect, it } from 'vitest';
import { assertAbraUsable, checkAbraCommands, checkAbraVersion } from '../../../src/doctor/abra-checks.js';
import { doctorExitCode, formatResults, runChecks, type Check } from '../../../src/doctor/check.js';
import type { AbraCall } from '../../../src/abra/abra-calls.js';
import type { AbraAnswer, AbraProbe } from '../../../src/abra/abra-help.js';

const ok = (name: string, detail = 'fine', extra: Partial<Check> = {}): Check => ({
  name,
  ...extra,
  run: async () => ({ ok: true, detail }),
});
const bad = (name: string, detail: string, fix: string, extra: Partial<Check> = {}): Check => ({
  name,
  ...extra,
  run: async () => ({ ok: false, detail, fix }),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runChecks', () => {
  it('all passing: exit 0, one ok line each, in the listed order', async () => {
    const results = await runChecks([
      {
        name: 'slow',
        run: async () => {
          await sleep(50);
          return { ok: true, detail: 'took a while' };
        },
      },
      ok('fast'),
    ]);
    expect(results.map((r) => r.name)).toEqual(['slow', 'fast']);
    expect(doctorExitCode(results)).toBe(0);
    const out = formatResults(results);
    expect(out[0]).toMatch(/^ok +slow +took a while$/);
    expect(out[1]).toMatch(/^ok +fast +fine$/);
    expect(out.at(-1)).toBe('all 2 checks passed');
  });

  it('a failing check: exit 1, FAIL with what was found, then its fix', async () => {
    const results = await runChecks([
      ok('abra'),
      bad('docker', 'no Docker engine answers at unix:///nope.sock', 'start dockerd'),
    ]);
    expect(doctorExitCode(results)).toBe(1);
    const out = formatResults(results).join('\n');
    expect(out).toMatch(/^FAIL +docker +no Docker engine answers at unix:\/\/\/nope\.sock$/m);
    expect(out).toMatch(/^ +fix: start dockerd$/m);
    expect(out).toMatch(/1 passed, 1 failed$/);
  });

  it('a warning: exit 0, warn with what was found and its fix, counted in the summary', async () => {
    const warned: Check = {
      name: 'ingress certificate',
      run: async () => ({ ok: true, warn: true, detail: '9 days left', fix: 'renew it' }),
    };
    const results = await runChecks([ok('abra'), warned, { ...ok('after'), needs: 'ingress certificate' }]);
    expect(doctorExitCode(results)).toBe(0);
    const out = formatResults(results);
    expect(out[1]).toMatch(/^warn +ingress certificate +9 days left$/);
    expect(out[2]).toMatch(/^ +fix: renew it$/);
    expect(out[3]).toMatch(/^ok +after +fine$/);
    expect(out.at(-1)).toBe('all 3 checks passed (1 with a warning)');
    results.push({ name: 'docker', ok: false, detail: 'down' });
    expect(formatResults(results).at(-1)).toBe('3 passed (1 with a warning), 1 failed');
  });

  it('a check that needs a failed one is skipped and named as such', async () => {
    let ran = false;
    const results = await runChecks([
      bad('docker', 'down', 'start it'),
      {
        name: 'swarm',
        needs: 'docker',
        run: async () => {
          ran = true;
          return { ok: true, detail: '' };
        },
      },
      ok('store'),
    ]);
    expect(ran).toBe(false);
    expect(results[1]).toMatchObject({ name: 'swarm', ok: false, skipped: true, detail: 'skipped: needs "docker"' });
    expect(formatResults(results).join('\n')).toMatch(/^skip +swarm/m);
    expect(formatResults(results).at(-1)).toBe('1 passed, 1 failed, 1 skipped');
    expect(doctorExitCode(results)).toBe(1);
  });

  it('a check that waits for a passing one runs after it', async () => {
    const order: string[] = [];
    await runChecks([
      {
        name: 'a',
        run: async () => {
          await sleep(30);
          order.push('a');
          return { ok: true, detail: '' };
        },
      },
      {
        name: 'b',
        needs: 'a',
        run: async () => {
          order.push('b');
          return { ok: true, detail: '' };
        },
      },
    ]);
    expect(order).toEqual(['a', 'b']);
  });

  it('independent checks run at once', async () => {
    const started = Date.now();
    await runChecks(
      [1, 2, 3, 4].map((i) => ({
        name: `c${i}`,
        run: async () => {
          await sleep(100);
          return { ok: true, detail: '' };
        },
      })),
    );
    expect(Date.now() - started).toBeLessThan(350);
  });

  it('a hung check fails at its time limit; a throwing one fails with its message', async () => {
    const started = Date.now();
    const results = await runChecks([
      { name: 'hangs', timeoutMs: 100, run: () => new Promise(() => undefined) },
      {
        name: 'throws',
        run: async () => {
          throw new Error('connect ENOENT /nope.sock\nstack…');
        },
      },
    ]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(results[0]).toMatchObject({ ok: false, detail: 'no answer within 0 s' });
    expect(results[1]).toMatchObject({ ok: false, detail: 'connect ENOENT /nope.sock' });
  });

  it('refuses a dependency that is not listed before', async () => {
    await expect(runChecks([{ name: 'b', needs: 'a', run: async () => ({ ok: true, detail: '' }) }])).rejects.toThrow(
      /needs "a"/,
    );
  });

  it('prints the items of a check under it', () => {
    const out = formatResults([
      { name: 'abra commands', ok: false, detail: '2 missing:', more: ['one', 'two'], fix: 'do this' },
    ]);
    expect(out.slice(0, 4).map((l) => l.trim())).toEqual([
      'FAIL  abra commands  2 missing:',
      '- one',
      '- two',
      'fix: do this',
    ]);
  });
});

// --- abra, with a fake probe serving canned help texts -------------------------------------------

function cobra(path: string, flags: string[], opts: { aliases?: string[]; global?: string[] } = {}): string {
  const line = (f: string) => `  ${f.startsWith('--') ? '    ' : ''}${f}   does something`;
  return [
    'Some command.',
    '',
    'Usage:',
    `  abra ${path} [flags]`,
    '',
    ...(opts.aliases ? ['Aliases:', `  ${opts.aliases.join(', ')}`, ''] : []),
    'Flags:',
    ...flags.map(line),
    '',
    'Global Flags:',
    ...(opts.global ?? ['-n, --no-input', '-o, --offline']).map(line),
    '',
  ].join('\n');
}

function fakeAbra(helps: Record<string, string>, version: Partial<AbraAnswer> = {}): AbraProbe & { asked: string[] } {
  const asked: string[] = [];
  const answer = (stdout: string, more: Partial<AbraAnswer> = {}): AbraAnswer => ({
    exitCode: 0,
    stdout,
    stderr: '',
    timedOut: false,
    ...more,
  });
  return {
    asked,
    resolved: '/usr/local/bin/abra',
    version: async () => answer('abra version 0.13.0-beta-06a57de', version),
    help: async (command) => {
      asked.push(command.join(' '));
      // cobra: an unknown subcommand shows its parent's help
      for (let n = command.length; n >= 0; n -= 1) {
        const h = helps[command.slice(0, n).join(' ')];
        if (h !== undefined) return answer(h);
      }
      return answer('', { exitCode: 1, stderr: `Error: unknown command "${command[0]}" for "abra"` });
    },
  };
}

const call = (id: string, command: string[], flags: string[]): AbraCall => ({
  id,
  command,
  argv: [...command],
  flags,
  terminal: false,
  parsed: '',
  evidence: 'U',
  source: '',
});

const calls: AbraCall[] = [
  call('version', [], ['--version']),
  call('app deploy', ['app', 'deploy'], ['--chaos', '--no-converge-checks', '--no-input']),
  call('app deploy version', ['app', 'deploy'], ['--force', '--no-converge-checks', '--no-input']),
  call('app rm', ['app', 'rm'], ['--force', '--no-input']),
];

const goodHelps = {
  '': cobra('[command]', ['-v, --version', '-h, --help']).replace('abra [command] [flags]', 'abra [command]'),
  app: cobra('app [command]', ['-h, --help']),
  'app deploy': cobra('app deploy <domain> [version]', ['-C, --chaos', '-f, --force', '-c, --no-converge-checks'], {
    aliases: ['deploy', 'd'],
  }),
  'app rm': cobra('app remove <domain>', ['-f, --force'], { aliases: ['remove', 'rm'] }),
};

describe('abra against the table of calls', () => {
  it('passes when every command and flag is in the help; asks each command once', async () => {
    const abra = fakeAbra(goodHelps);
    const outcome = await checkAbraCommands(abra, calls);
    expect(outcome).toMatchObject({ ok: true, detail: "all 3 commands and 7 flags cc-ci uses are in abra's --help" });
    expect(abra.asked.sort()).toEqual(['', 'app deploy', 'app rm']);
  });

  it('names a missing flag, the command and every call that passes it', async () => {
    const helps = {
      ...goodHelps,
      'app deploy': cobra('app deploy <domain> [version]', ['-C, --chaos', '-f, --force']),
    };
    const outcome = await checkAbraCommands(fakeAbra(helps), calls);
    expect(outcome.ok).toBe(false);
    expect(outcome.more).toEqual([
      'abra app deploy has no --no-converge-checks (passed by cc-ci\'s calls "app deploy", "app deploy version")',
    ]);
    expect(outcome.fix).toMatch(/install an abra whose --help lists them, or point swarm.abra at one/);
  });

  it("names a missing command (cobra answers with the parent's help)", async () => {
    const helps: Record<string, string> = { ...goodHelps };
    delete helps['app rm'];
    const outcome = await checkAbraCommands(fakeAbra(helps), calls);
    expect(outcome.more).toEqual([
      'abra app rm: no such command (its --help is that of "abra app"); used by cc-ci\'s call "app rm"',
    ]);
  });

  it('a global flag counts for every command', async () => {
    const helps = {
      ...goodHelps,
      'app rm': cobra('app remove <domain>', ['-f, --force'], { aliases: ['remove', 'rm'], global: ['-d, --debug'] }),
    };
    const outcome = await checkAbraCommands(fakeAbra(helps), calls);
    expect(outcome.more).toEqual(['abra app rm has no --no-input (passed by cc-ci\'s call "app rm")']);
  });

  it('an optional flag the help lacks is noted, not a failure', async () => {
    const withOptional = [
      ...calls,
      { ...call('recipe lint', ['app', 'deploy'], ['--chaos']), optionalFlags: ['--machine', '--force'] },
    ];
    const outcome = await checkAbraCommands(fakeAbra(goodHelps), withOptional);
    expect(outcome.ok).toBe(true);
    expect(outcome.more).toEqual([
      'abra app deploy has no --machine; optional: cc-ci\'s call "recipe lint" does without it',
    ]);
  });

  it('a help that is not a help at all is said so', async () => {
    const outcome = await checkAbraCommands(
      fakeAbra({ ...goodHelps, 'app deploy': 'FATA no such thing' }),
      calls.slice(0, 2),
    );
    expect(outcome.more).toEqual([
      'abra app deploy --help printed no usage (exit 0: FATA no such thing); used by cc-ci\'s call "app deploy"',
    ]);
  });

  it('the version: its line, or why not', async () => {
    expect(await checkAbraVersion(fakeAbra(goodHelps), 'abra')).toMatchObject({
      ok: true,
      detail: 'abra version 0.13.0-beta-06a57de at /usr/local/bin/abra',
    });
    const broken = await checkAbraVersion(fakeAbra(goodHelps, { exitCode: 2, stdout: '', stderr: 'segfault' }), 'abra');
    expect(broken).toMatchObject({ ok: false, detail: '/usr/local/bin/abra --version exited 2: segfault' });
    const missing = await checkAbraVersion({ ...fakeAbra(goodHelps), resolved: undefined }, 'abra');
    expect(missing).toMatchObject({ ok: false, detail: 'abra not found on PATH (or not executable)' });
    expect(missing.fix).toMatch(/swarm.abra/);
  });

  it("serve's start-up check: passes quietly, or throws ABRA_FAILED naming the flag", async () => {
    await expect(assertAbraUsable(fakeAbra(goodHelps), 'abra', calls)).resolves.toMatchObject({
      version: expect.stringMatching(/0\.13\.0-beta/),
      absentOptional: [],
    });
    const helps = {
      ...goodHelps,
      'app deploy': cobra('app deploy <domain> [version]', ['-C, --chaos', '-f, --force']),
    };
    const err = await assertAbraUsable(fakeAbra(helps), 'abra', calls).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ABRA_FAILED' });
    expect((err as Error).message).toMatch(
      new RegExp(
        /^abra version 0\.13\.0-beta-06a57de at \/usr\/local\/bin\/abra lacks what cc-ci uses: /.source +
          /abra app deploy has no --no-converge-checks/.source,
      ),
    );
  });
});
