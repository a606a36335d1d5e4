// A recipe's history drawn as inline SVG, server-side, with no script: the chart of its recipe
// page (level over time, one dot per badge run coloured by verdict) and the overview's sparkline.
// Pure: points and the time in, markup out; every text passes `markup`'s escaping. The colours are
// the pages' palette written out, so the SVG means the same outside the page's stylesheet.
import type { HistoryPoint } from '../../model/history.js';
import { HISTORY_DAYS, historySince } from '../../model/history.js';
import { markup, raw, type Html } from './html.js';

const COLOURS = { pass: '#1a7f37', fail: '#cf222e', error: '#bc4c00', line: '#57606a', grid: '#d8dee4' } as const;
const MAX_LEVEL = 5;

export interface HistoryWindow {
  now: Date;
  days?: number;
}

const day = (iso: string) => iso.slice(0, 10);
const round = (n: number) => Math.round(n * 10) / 10;

/** Where a point's dot sits: its level; a fail that reached none at L0. Errors are not levels. */
const levelOf = (p: HistoryPoint): number => Math.min(Math.max(p.level ?? 0, 0), MAX_LEVEL);

/** A point's words: "pass L5", "fail L2", "error". */
export function pointLabel(p: HistoryPoint): string {
  return p.verdict === 'error' || p.level === undefined ? p.verdict : `${p.verdict} L${p.level}`;
}

/** One sentence that says what the chart shows: its text alternative (the SVG's <desc>). */
export function historySummary(points: readonly HistoryPoint[], days = HISTORY_DAYS): string {
  if (points.length === 0) return `No default-branch runs in the last ${days} days.`;
  const count = (v: HistoryPoint['verdict']) => points.filter((p) => p.verdict === v).length;
  const tally = (['pass', 'fail', 'error'] as const)
    .filter((v) => count(v) > 0)
    .map((v) => `${count(v)} ${v}`)
    .join(', ');
  const runs = points.length === 1 ? 'run' : 'runs';
  const levelled = points.filter((p) => p.verdict !== 'error').map(levelOf);
  const span =
    levelled.length === 0
      ? ''
      : `; the level went from L${levelled[0]} to L${levelled[levelled.length - 1]} ` +
        `(lowest L${Math.min(...levelled)}, highest L${Math.max(...levelled)})`;
  const last = points[points.length - 1]!;
  return (
    `${points.length} default-branch ${runs} in the last ${days} days: ${tally}${span}; ` +
    `the latest ${pointLabel(last)} on ${day(last.finishedAt)}.`
  );
}

interface Frame {
  x: (iso: string) => number;
  y: (level: number) => number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function frame(
  window: HistoryWindow,
  box: { width: number; height: number; left: number; right: number; top: number; bottom: number },
): Frame {
  const end = window.now.getTime();
  const start = historySince(window.now, window.days ?? HISTORY_DAYS).getTime();
  const left = box.left;
  const right = box.width - box.right;
  const top = box.top;
  const bottom = box.height - box.bottom;
  const x = (iso: string) => {
    const t = Math.min(Math.max(Date.parse(iso), start), end);
    return round(left + ((t - start) / (end - start)) * (right - left));
  };
  const y = (level: number) => round(bottom - (level / MAX_LEVEL) * (bottom - top));
  return { x, y, left, right, top, bottom };
}

/** The level as steps: it holds from one run to the next, and up to now after the last. Errors leave it as it was. */
function stepPath(points: readonly HistoryPoint[], f: Frame): string {
  const levelled = points.filter((p) => p.verdict !== 'error');
  if (levelled.length === 0) return '';
  const [first, ...rest] = levelled;
  let d = `M${f.x(first!.finishedAt)} ${f.y(levelOf(first!))}`;
  for (const p of rest) d += ` H${f.x(p.finishedAt)} V${f.y(levelOf(p))}`;
  return `${d} H${f.right}`;
}

type Attrs = Record<string, string | number>;

/** An SVG element: its attributes escaped, in the order given; with children or self-closed. */
function el(name: string, attrs: Attrs, ...children: unknown[]): Html {
  const list = Object.entries(attrs).map(([key, value]) => markup` ${raw(key)}="${String(value)}"`);
  const tag = raw(name);
  return children.length > 0 ? markup`<${tag}${list}>${children}</${tag}>` : markup`<${tag}${list}/>`;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

const CHART = { width: 720, height: 170, left: 34, right: 12, top: 12, bottom: 26 };

/**
 * The recipe page's chart: L0–L5 over the window, the level as steps, a dot per run (green pass,
 * red fail) and an orange mark under the axis per error (an error says nothing of the recipe's
 * level). Accessible: role="img" named by its <title> and described by its <desc>.
 */
export function historyChart(recipe: string, points: readonly HistoryPoint[], window: HistoryWindow): Html {
  const days = window.days ?? HISTORY_DAYS;
  const f = frame(window, CHART);
  const grid = Array.from({ length: MAX_LEVEL + 1 }, (_, level) => {
    const y = f.y(level);
    return [
      el('line', { x1: f.left, x2: f.right, y1: y, y2: y, stroke: COLOURS.grid }),
      el('text', { x: f.left - 8, y: y + 4, 'text-anchor': 'end' }, `L${level}`),
    ];
  });
  const start = historySince(window.now, days).toISOString();
  const middle = new Date((Date.parse(start) + window.now.getTime()) / 2).toISOString();
  const below = CHART.height - 6;
  const dates = [
    el('text', { x: f.left, y: below, 'text-anchor': 'start' }, day(start)),
    el('text', { x: f.x(middle), y: below, 'text-anchor': 'middle' }, day(middle)),
    el('text', { x: f.right, y: below, 'text-anchor': 'end' }, day(window.now.toISOString())),
  ];
  const path = stepPath(points, f);
  const marks = points.map((p) => {
    const tip = el('title', {}, `${day(p.finishedAt)} ${p.runId}: ${pointLabel(p)}`);
    const x = f.x(p.finishedAt);
    if (p.verdict === 'error') {
      const y = f.bottom + 3;
      const corners = `${x - 4},${y + 7} ${x + 4},${y + 7} ${x},${y}`;
      return el('polygon', { class: 'error', points: corners, fill: COLOURS.error }, tip);
    }
    const dot = { class: p.verdict, cx: x, cy: f.y(levelOf(p)), r: 4, fill: COLOURS[p.verdict] };
    return el('circle', { ...dot, stroke: '#fff', 'stroke-width': 1.5 }, tip);
  });
  const svg = {
    class: 'history-chart',
    xmlns: SVG_NS,
    role: 'img',
    'aria-labelledby': 'history-title history-desc',
    viewBox: `0 0 ${CHART.width} ${CHART.height}`,
    width: CHART.width,
    height: CHART.height,
    'font-family': 'system-ui,sans-serif',
    'font-size': 11,
    fill: COLOURS.line,
  };
  return el(
    'svg',
    svg,
    el('title', { id: 'history-title' }, `${recipe}: default-branch level over the last ${days} days`),
    el('desc', { id: 'history-desc' }, historySummary(points, days)),
    el('g', { class: 'grid' }, grid),
    el('g', { class: 'dates' }, dates),
    path ? el('path', { class: 'level', d: path, fill: 'none', stroke: COLOURS.line, 'stroke-width': 2 }) : '',
    el('g', { class: 'runs' }, marks),
  );
}

const SPARK = { width: 120, height: 24, left: 2, right: 4, top: 3, bottom: 3 };

/** The overview's sparkline: the level as steps and the latest run's dot; its words as the label. */
export function historySparkline(points: readonly HistoryPoint[], window: HistoryWindow): Html {
  const summary = historySummary(points, window.days ?? HISTORY_DAYS);
  const f = frame(window, SPARK);
  const path = stepPath(points, f);
  const last = points[points.length - 1];
  const dot = last
    ? el('circle', {
        class: last.verdict,
        cx: f.x(last.finishedAt),
        cy: last.verdict === 'error' ? f.bottom : f.y(levelOf(last)),
        r: 2.5,
        fill: COLOURS[last.verdict],
      })
    : '';
  const errors = points
    .filter((p) => p.verdict === 'error')
    .map((p) => {
      const x = f.x(p.finishedAt);
      return el('line', { x1: x, x2: x, y1: SPARK.height - 3, y2: SPARK.height, stroke: COLOURS.error });
    });
  const svg = {
    class: 'sparkline',
    xmlns: SVG_NS,
    role: 'img',
    'aria-label': summary,
    viewBox: `0 0 ${SPARK.width} ${SPARK.height}`,
    width: SPARK.width,
    height: SPARK.height,
  };
  return el(
    'svg',
    svg,
    el('title', {}, summary),
    el('line', { x1: f.left, x2: f.right, y1: f.bottom, y2: f.bottom, stroke: COLOURS.grid }),
    path ? el('path', { d: path, fill: 'none', stroke: COLOURS.line, 'stroke-width': 1.5 }) : '',
    errors,
    dot,
  );
}
