// Reading tables a CLI drew for a person: every border style lipgloss offers, ASCII, plain
// columns, colours, CRLF and wrapped cells. The shapes are guesses of abra's output (no real
// lint table was recorded, interfaces.md A.8.5), so the reader is tested against all of them.
import { describe, expect, it } from 'vitest';
import { parseLintOutput, yes } from '../../../src/abra/lint-output.js';
import { findTable, jsonList, plainText } from '../../../src/abra/terminal-table.js';
import { lintRow } from '../../../src/stages/lint.js';

const rows = [
  ['R001', 'compose config has expected version', 'warn', '✅'],
  ['R014', 'only annotated tags used for recipe version', 'error', '❌'],
];
const expected = [
  { ref: 'R001', rule: 'compose config has expected version', severity: 'warn', satisfied: '✅' },
  { ref: 'R014', rule: 'only annotated tags used for recipe version', severity: 'error', satisfied: '❌' },
];

/** A box table in a lipgloss border set: [top, header rule, bottom] corners and the vertical bar. */
function box(v: string, h: string, [tl, tm, tr]: string[], [ml, mm, mr]: string[], [bl, bm, br]: string[]): string {
  const all = [['ref', 'rule', 'severity', 'satisfied'], ...rows];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (l: string, m: string, r: string) => l + widths.map((w) => h.repeat(w + 2)).join(m) + r;
  const row = (r: string[]) => v + r.map((c, i) => ` ${c.padEnd(widths[i]!)} `).join(v) + v;
  return [line(tl!, tm!, tr!), row(all[0]!), line(ml!, mm!, mr!), ...rows.map(row), line(bl!, bm!, br!)].join('\n');
}

describe('findTable', () => {
  const styles: Record<string, string> = {
    normal: box('│', '─', ['┌', '┬', '┐'], ['├', '┼', '┤'], ['└', '┴', '┘']),
    rounded: box('│', '─', ['╭', '┬', '╮'], ['├', '┼', '┤'], ['╰', '┴', '╯']),
    thick: box('┃', '━', ['┏', '┳', '┓'], ['┣', '╋', '┫'], ['┗', '┻', '┛']),
    double: box('║', '═', ['╔', '╦', '╗'], ['╠', '╬', '╣'], ['╚', '╩', '╝']),
    ascii: box('|', '-', ['+', '+', '+'], ['+', '+', '+'], ['+', '+', '+']),
  };
  for (const [style, table] of Object.entries(styles)) {
    it(`reads a ${style} box table among log lines`, () => {
      expect(findTable(`INFO linting\n${table}\nWARN critical errors present\n`, ['ref', 'satisfied'])?.rows).toEqual(
        expected,
      );
    });
  }
  it('reads a table coloured for a terminal, with CRLF line ends and a redrawn spinner line', () => {
    const coloured = styles
      .thick!.split('\n')
      .map((l) => l.replace(/R0\d\d/, (m) => `\u001b[1;32m${m}\u001b[0m`))
      .join('\r\n');
    expect(findTable(`\u001b]0;abra\u0007⣾ loading\r⣽ done\r\n${coloured}\r\n`, ['ref', 'rule'])?.rows).toEqual(
      expected,
    );
  });
  it('joins a cell wrapped onto a continuation line (first cell empty)', () => {
    const wrapped = [
      '┃ REF  ┃ RULE                  ┃ SEVERITY ┃ SATISFIED ┃',
      '┣━━━━━━╋━━━━━━━━━━━━━━━━━━━━━━━╋━━━━━━━━━━╋━━━━━━━━━━━┫',
      '┃ R014 ┃ only annotated tags   ┃ error    ┃ ❌        ┃',
      '┃      ┃ used for recipe       ┃          ┃           ┃',
      '┃      ┃ version               ┃          ┃           ┃',
      '┃ R001 ┃ compose config has    ┃ warn     ┃ ✅        ┃',
      '┃      ┃ expected version      ┃          ┃           ┃',
    ].join('\n');
    expect(findTable(wrapped, ['ref'])?.rows).toEqual([expected[1], expected[0]]);
  });
  it('reads plain columns, also when a cell is empty', () => {
    const plain =
      'REF   RULE                                 SEVERITY  SATISFIED  SKIPPED\n' +
      'R001  compose config has expected version  warn      true       \n' +
      'R006  has published catalogue version      warn      false      true\n\nINFO done';
    expect(findTable(plain, ['ref', 'satisfied'])?.rows).toEqual([
      { ref: 'R001', rule: 'compose config has expected version', severity: 'warn', satisfied: 'true', skipped: '' },
      { ref: 'R006', rule: 'has published catalogue version', severity: 'warn', satisfied: 'false', skipped: 'true' },
    ]);
  });
  it('finds nothing when no table has the columns', () => {
    expect(findTable('FATA unable to lint\n', ['ref'])).toBeUndefined();
    expect(findTable(styles.normal!, ['name', 'value'])).toBeUndefined();
  });
  it('strips control sequences and keeps text', () => {
    expect(plainText('\u001b[31mred\u001b[0m and \u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\')).toBe(
      'red and link',
    );
    expect(jsonList('INFO x\n[{"a":1}]\n')).toEqual([{ a: 1 }]);
    expect(jsonList('no json [here')).toBeUndefined();
  });
});

describe('lint rules from the table (item 1)', () => {
  it('reads every column of the lipgloss table, ✅/❌ and "-" included', () => {
    const table = box('┃', '━', ['┏', '┳', '┓'], ['┣', '╋', '┫'], ['┗', '┻', '┛']);
    expect(parseLintOutput(table, false).map((r) => [r.ref, r.severity, r.satisfied, r.skipped])).toEqual([
      ['R001', 'warn', true, false],
      ['R014', 'error', false, false],
    ]);
    expect(parseLintOutput('FATA no', false)).toEqual([]);
    expect(
      parseLintOutput('[{"ref":"R002","rule":"x","severity":"warning","satisfied":false,"skipped":true}]', true),
    ).toEqual([{ ref: 'R002', rule: 'x', severity: 'warn', satisfied: false, skipped: true }]);
    expect([yes('✅'), yes('yes'), yes('true'), yes('❌'), yes('-'), yes(''), yes('no')]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
  const oneRowPerRule =
    'makes one row per rule: satisfied pass, an unsatisfied error fails with LINT_FAILED, ' +
    'warnings and skipped rules skip';
  it(oneRowPerRule, () => {
    const base = { rule: 'r', satisfied: false, skipped: false };
    expect(lintRow({ ...base, ref: 'R001', severity: 'warn', satisfied: true })).toEqual({
      name: 'R001 r',
      status: 'pass',
    });
    expect(lintRow({ ...base, ref: 'R014', severity: 'error', resolve: 'use annotated tags' })).toEqual({
      name: 'R014 r',
      status: 'fail',
      code: 'LINT_FAILED',
      detail: 'error: not satisfied (to fix: use annotated tags)',
    });
    expect(lintRow({ ...base, ref: 'R002', severity: 'warn' }).status).toBe('skip');
    expect(lintRow({ ...base, ref: 'R006', severity: 'error', skipped: true })).toMatchObject({
      status: 'skip',
      detail: 'error: skipped by abra',
    });
  });
});
