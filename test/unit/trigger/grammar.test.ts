import { describe, expect, it } from 'vitest';
import { describeCommand, parseTrigger, usageText, type RunCommand } from '../../../src/trigger/grammar.js';

function run(body: string): RunCommand {
  const cmd = parseTrigger(body);
  if (cmd?.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(cmd)}`);
  return cmd;
}

function problem(body: string): string {
  const cmd = parseTrigger(body);
  if (cmd?.kind !== 'usage') throw new Error(`expected usage, got ${JSON.stringify(cmd)}`);
  return cmd.problem;
}

describe('parseTrigger: what triggers', () => {
  it('the bare command', () => {
    expect(parseTrigger('!testme')).toEqual({ kind: 'run', quick: false, keep: false, line: '!testme' });
  });

  it.each([
    ['  !testme  ', '!testme'],
    ['\t!testme\t', '!testme'],
    ['!testme\n', '!testme'],
    ['Looks good.\n\n!testme\n\nthanks', '!testme'],
    ['first line\r\n!testme --keep\r\nlast', '!testme --keep'],
    ['old mac\r!testme', '!testme'],
  ])('the command on a line of its own: %j', (body, line) => {
    expect(run(body).line).toBe(line);
  });

  it('flags', () => {
    expect(run('!testme --quick')).toEqual({ kind: 'run', quick: true, keep: false, line: '!testme --quick' });
    expect(run('!testme --keep')).toMatchObject({ quick: false, keep: true });
    expect(run('!testme --quick --keep')).toMatchObject({ quick: true, keep: true });
    expect(run('!testme --stages install,upgrade')).toMatchObject({ stages: ['install', 'upgrade'], quick: false });
    expect(run('!testme --stages=install,upgrade')).toMatchObject({ stages: ['install', 'upgrade'] });
    expect(run('!testme   --keep    --stages   backup,install  ')).toMatchObject({
      stages: ['backup', 'install'],
      keep: true,
    });
    expect(run('!testme --stages=recipe-local,lint --keep')).toMatchObject({
      stages: ['recipe-local', 'lint'],
      keep: true,
    });
    expect(run('!testme --stages install,upgrade,backup,recipe-local,lint').stages).toHaveLength(5);
  });

  it('no stages key without --stages', () => {
    expect('stages' in run('!testme --keep')).toBe(false);
  });

  it('the first matching line counts', () => {
    expect(run('!testme --quick\n!testme --keep')).toMatchObject({ quick: true, keep: false, line: '!testme --quick' });
    expect(parseTrigger('!testme --bogus\n!testme')).toMatchObject({ kind: 'usage', line: '!testme --bogus' });
    expect(run('> !testme --keep\n!testme --quick').quick).toBe(true);
  });

  it('a line after a closed code fence still counts', () => {
    expect(run('```\n!testme --keep\n```\n!testme --quick')).toMatchObject({ quick: true, keep: false });
    expect(run('~~~~\n!testme\n~~~\n~~~~\n!testme --keep').keep).toBe(true);
  });
});

describe('parseTrigger: what does not trigger', () => {
  it.each([
    [''],
    ['lgtm'],
    ['please !testme'],
    ['is the !testme bot broken again?'],
    ['> !testme'],
    ['>!testme'],
    ['> quoting\n> !testme --keep'],
    ['`!testme`'],
    ['- !testme'],
    ['!TESTME'],
    ['!test me'],
    ['testme'],
    ['```\n!testme\n```'],
    ['```sh\n!testme --quick\n```'],
    ['~~~\n!testme\n~~~'],
    ['  ```\n  !testme\n  ```'],
    ['```\n!testme\n'], // an unclosed fence runs to the end
    ['````\n```\n!testme\n````'], // a shorter fence does not close a longer one
    ['~~~\n!testme\n```\n'], // nor one of the other character
    ['```\r\n!testme\r\n```'],
    ["!testme's results look odd"],
    ['!testme.'],
  ])('%j', (body) => {
    expect(parseTrigger(body)).toBeUndefined();
  });

  it('inline code with three backticks is not a fence', () => {
    expect(run('```a``` inline\n!testme').line).toBe('!testme');
  });
});

describe('parseTrigger: usage', () => {
  it.each([
    ['!testme --bogus', 'unknown flag "--bogus"'],
    ['!testme -q', 'unknown flag "-q"'],
    ['!testme please', 'unexpected "please"'],
    ['!testme --stages', '--stages needs a list'],
    ['!testme --stages --keep', '--stages needs a list'],
    ['!testme --stages=', '--stages needs a list'],
    ['!testme --stages foo', 'unknown stage "foo": the stages are install, upgrade, backup, recipe-local, lint'],
    ['!testme --stages=install,Upgrade', 'unknown stage "Upgrade"'],
    ['!testme --stages install,,upgrade', 'empty stage name'],
    ['!testme --stages install,', 'empty stage name'],
    ['!testme --stages ,install', 'empty stage name'],
    ['!testme --stages install, upgrade', 'empty stage name'],
    ['!testme --stages install,install', 'stage install is given twice'],
    ['!testme --stages install --stages upgrade', '--stages is given twice'],
    ['!testme --keep --keep', '--keep is given twice'],
    ['!testme --quick --quick', '--quick is given twice'],
    ['!testme --quick --stages install', '--quick and --stages cannot be combined'],
    ['!testme --stages=upgrade --quick', '--quick and --stages cannot be combined'],
    ['!testme --quick=yes', '--quick takes no value'],
    ['!testme --stages install upgrade', 'write the stage list without spaces'],
    ['!testmexyz', 'unknown command "!testmexyz"'],
    ['!testme--quick', 'unknown command "!testme--quick"'],
    ['hi\n!testmeplease --keep', 'unknown command "!testmeplease"'],
  ])('%j', (body, expected) => {
    expect(problem(body)).toContain(expected);
  });

  it('carries the trimmed line', () => {
    expect(parseTrigger('x\r\n  !testme --nope  \r\n')).toEqual({
      kind: 'usage',
      problem: 'unknown flag "--nope"',
      line: '!testme --nope',
    });
  });

  it('a real command wins over an earlier typo', () => {
    expect(run('!testmexyz\n!testme --keep').keep).toBe(true);
  });

  it('a very long line is refused, not parsed', () => {
    expect(problem(`!testme ${'--keep '.repeat(100)}`)).toContain('longer than');
  });

  it('quotes long user tokens short', () => {
    expect(problem(`!testme --${'x'.repeat(200)}`).length).toBeLessThan(80);
  });
});

describe('usageText and describeCommand', () => {
  it('usage names the grammar, every stage and an example', () => {
    const text = usageText();
    for (const s of [
      '!testme',
      '--quick',
      '--stages install,upgrade',
      '--keep',
      'install',
      'upgrade',
      'backup',
      'recipe-local',
      'lint',
      'Example',
    ]) {
      expect(text).toContain(s);
    }
    expect(text.length).toBeLessThan(1000);
  });

  it('usage shows the problem as inline code, so user text is not markdown', () => {
    expect(usageText('unknown flag "@everyone"')).toMatch(/^Not started: `unknown flag "@everyone"`\n/);
    expect(usageText('a `tick` here')).toContain('``a `tick` here``');
    expect(usageText('two\nlines')).toContain('`two lines`');
  });

  it.each([
    ['!testme', 'all stages'],
    ['!testme --quick', 'install only'],
    ['!testme --stages install,upgrade', 'stages install, upgrade'],
    ['!testme --keep', 'all stages, keep on failure'],
    ['!testme --quick --keep', 'install only, keep on failure'],
    ['!testme --stages=lint --keep', 'stages lint, keep on failure'],
  ])('%s → %s', (body, text) => {
    expect(describeCommand(run(body))).toBe(text);
  });
});
