// The history chart and sparkline as pure functions: well-formed SVG, a dot per pass or fail at its
// level, an error marked under the axis without moving the level, the level held as steps up to
// now, the words of <title>/<desc>, and everything that came from a run escaped.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '../../../src/model/history.js';
import { historyChart, historySparkline, historySummary } from '../../../src/server/pages/history-chart.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-01T00:00:00Z');
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY).toISOString();

const points: HistoryPoint[] = [
  { runId: 'r1', finishedAt: at(90), verdict: 'pass', level: 5, sha: 'a'.repeat(40) },
  { runId: 'r2', finishedAt: at(45), verdict: 'fail', level: 2 },
  { runId: 'r3', finishedAt: at(30), verdict: 'error' },
  { runId: 'r4', finishedAt: at(0), verdict: 'pass', level: 4 },
];

type Node = Record<string, unknown>;
const parse = (svg: string): Node =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  }).parse(svg) as Node;
const list = (node: unknown, key: string): Node[] => ((node as Node)[key] as Node[] | undefined) ?? [];
/** An element's text (the parser gives an element with no attributes as its text alone). */
const textOf = (node: unknown): unknown => (typeof node === 'string' ? node : (node as Node)['#text']);

describe('historyChart', () => {
  const svg = historyChart('custom-html', points, { now: NOW }).value;
  const root = list(parse(svg), 'svg')[0]!;

  it('is well-formed SVG named by its title and described by its desc', () => {
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(root).toMatchObject({ role: 'img', 'aria-labelledby': 'history-title history-desc' });
    expect(list(root, 'title')[0]).toMatchObject({
      id: 'history-title',
      '#text': 'custom-html: default-branch level over the last 90 days',
    });
    expect(list(root, 'desc')[0]!['#text']).toBe(
      '4 default-branch runs in the last 90 days: 2 pass, 1 fail, 1 error; the level went from L5 to L4 ' +
        '(lowest L2, highest L5); the latest pass L4 on 2026-12-01.',
    );
  });

  it('draws a dot per pass or fail at its level and time, and an error under the axis', () => {
    const circles = list(
      list(root, 'g').find((g) => g.class === 'runs'),
      'circle',
    );
    // The plot spans x 34..708 (90 days) and y 144 (L0)..12 (L5).
    expect(circles.map((c) => [c.class, c.cx, c.cy, c.fill])).toEqual([
      ['pass', '34', '12', '#1a7f37'],
      ['fail', '371', '91.2', '#cf222e'],
      ['pass', '708', '38.4', '#1a7f37'],
    ]);
    expect(circles.map((c) => textOf(list(c, 'title')[0]))).toEqual([
      '2026-09-02 r1: pass L5',
      '2026-10-17 r2: fail L2',
      '2026-12-01 r4: pass L4',
    ]);
    const errors = list(
      list(root, 'g').find((g) => g.class === 'runs'),
      'polygon',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ class: 'error', fill: '#bc4c00' });
    expect(textOf(list(errors[0], 'title')[0])).toBe('2026-11-01 r3: error');
  });

  it('holds the level as steps until now; an error does not move it', () => {
    const path = list(root, 'path')[0]!;
    expect(path.d).toBe('M34 12 H371 V91.2 H708 V38.4 H708');
    const labels = list(
      list(root, 'g').find((g) => g.class === 'grid'),
      'text',
    ).map((t) => t['#text']);
    expect(labels).toEqual(['L0', 'L1', 'L2', 'L3', 'L4', 'L5']);
    const dates = list(
      list(root, 'g').find((g) => g.class === 'dates'),
      'text',
    ).map((t) => t['#text']);
    expect(dates).toEqual(['2026-09-02', '2026-10-17', '2026-12-01']);
  });

  it('says so when there are no runs, and draws no level', () => {
    const empty = historyChart('custom-html', [], { now: NOW }).value;
    expect(XMLValidator.validate(empty)).toBe(true);
    expect(empty).toContain('<desc id="history-desc">No default-branch runs in the last 90 days.</desc>');
    expect(empty).not.toContain('<path');
    expect(empty).not.toContain('<circle');
  });

  it('escapes what came from a run or a request', () => {
    const hostile = historyChart(
      '<b>"x"&',
      [{ runId: '</title><script>1</script>', finishedAt: at(1), verdict: 'pass', level: 1 }],
      {
        now: NOW,
      },
    ).value;
    expect(XMLValidator.validate(hostile)).toBe(true);
    expect(hostile).not.toContain('<script>');
    expect(hostile).not.toContain('<b>');
    expect(hostile).toContain('&lt;/title&gt;&lt;script&gt;1&lt;/script&gt;');
    expect(hostile).toContain('&lt;b&gt;&quot;x&quot;&amp;');
  });

  it('keeps a point outside the window on the chart edge', () => {
    const svg = historyChart('x', [{ runId: 'late', finishedAt: at(-2), verdict: 'fail', level: 3 }], {
      now: NOW,
    }).value;
    expect(svg).toContain('cx="708"');
  });
});

describe('historySparkline', () => {
  it('is a labelled step line with the latest run as a coloured dot and errors as ticks', () => {
    const svg = historySparkline(points, { now: NOW }).value;
    expect(XMLValidator.validate(svg)).toBe(true);
    const root = list(parse(svg), 'svg')[0]!;
    expect(root['aria-label']).toBe(historySummary(points));
    expect(textOf(list(root, 'title')[0])).toBe(historySummary(points));
    expect(list(root, 'path')[0]!.d).toBe('M2 3 H59 V13.8 H116 V6.6 H116');
    expect(list(root, 'circle')).toEqual([expect.objectContaining({ class: 'pass', cx: '116', fill: '#1a7f37' })]);
    // Two lines: the L0 axis and one error tick.
    expect(list(root, 'line').filter((l) => l.stroke === '#bc4c00')).toHaveLength(1);
  });

  it('puts a latest error on the axis, orange', () => {
    const svg = historySparkline([{ runId: 'e', finishedAt: at(1), verdict: 'error' }], { now: NOW }).value;
    expect(svg).toMatch(/<circle class="error" cx="[\d.]+" cy="21" r="2.5" fill="#bc4c00"\/>/);
    expect(svg).not.toContain('<path');
  });
});

describe('historySummary', () => {
  it('counts, says the span of levels and the latest; one run is a run', () => {
    expect(historySummary([points[0]!])).toBe(
      '1 default-branch run in the last 90 days: 1 pass; the level went from L5 to L5 (lowest L5, highest L5); ' +
        'the latest pass L5 on 2026-09-02.',
    );
    expect(historySummary([points[2]!], 30)).toBe(
      '1 default-branch run in the last 30 days: 1 error; the latest error on 2026-11-01.',
    );
  });
});
