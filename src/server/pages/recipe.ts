// GET /recipes/:recipe: a recipe's default-branch level over the last 90 days (a chart, and the
// same as a table), then its runs, newest first (the last 100).
import { HISTORY_DAYS, historySince, type HistoryPoint } from '../../model/history.js';
import type { ServerDeps } from '../server-deps.js';
import { historyChart, pointLabel } from './history-chart.js';
import {
  formatDuration,
  layout,
  levelMeter,
  markup,
  pill,
  prLink,
  runDuration,
  raw,
  runLink,
  shortSha,
  timeAgo,
  tone,
  type Html,
} from './html.js';

const RECIPE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const HISTORY = 100;

const RUNS_HEAD = raw(
  '<thead><tr><th>Run</th><th>Ref</th><th>PR</th><th class="hide-sm">Commit</th>' +
    '<th>State</th><th>Verdict</th><th>Level</th><th>Created</th><th>Duration</th></tr></thead>',
);

/** The page, or undefined when cc-ci knows no such recipe (no runs and not enrolled). */
export function recipePage(deps: ServerDeps, name: string, now: number): string | undefined {
  if (!RECIPE_NAME.test(name)) return undefined;
  const runs = deps.store.listRuns({ recipe: name, limit: HISTORY });
  if (runs.length === 0 && !deps.recipes().includes(name)) return undefined;
  const forgeUrl = deps.config.forge?.url;
  const latest = runs[0];
  const points = deps.store.history(name, historySince(new Date(now)));

  const rows = runs.map(
    (run) => markup`<tr>
  <td>${runLink(run.id)}</td>
  <td class="nowrap mono">${run.ref}</td>
  <td class="nowrap">${prLink(run, forgeUrl)}</td>
  <td class="mono hide-sm">${shortSha(run.sha)}</td>
  <td>${pill(run.state)}</td>
  <td>${pill(run.verdict)}</td>
  <td>${levelMeter(run.level)}</td>
  <td class="nowrap">${timeAgo(run.createdAt, now)}</td>
  <td class="nowrap">${formatDuration(runDuration(run, now))}</td>
</tr>`,
  );

  const facts = latest
    ? [
        markup`<span>latest ${runLink(latest.id)} ${timeAgo(latest.createdAt, now)}</span>`,
        markup`<span>level ${levelMeter(latest.level)}</span>`,
      ]
    : markup`<span>no runs yet</span>`;

  const body = markup`<p class="crumbs"><a href="/">Overview</a> / ${name}</p>
<section class="card banner ${latest ? tone(latest.state) : ''}">
  <div class="what">
    <div class="headline"><h1>${name}</h1>${latest ? pill(latest.state, { big: true }) : ''}</div>
    <div class="facts">${facts}</div>
  </div>
  <div class="badge"><img src="${`/badge/${encodeURIComponent(name)}.svg`}" alt="${`${name} badge`}"></div>
</section>
<h2>Level <span class="count">${`the default branch, the last ${HISTORY_DAYS} days`}</span></h2>
${historySection(name, points, now)}
<h2>Runs <span class="count">${runs.length === HISTORY ? `the last ${HISTORY}` : runs.length}</span></h2>
<div class="scroll">${
    runs.length === 0
      ? markup`<p class="empty">No runs yet.</p>`
      : markup`<table>
${RUNS_HEAD}
<tbody>${rows}</tbody></table>`
  }</div>`;

  const active = runs.some((r) => r.state === 'queued' || r.state === 'running');
  return layout({ title: name, body, refresh: active ? 30 : undefined });
}

const HISTORY_HEAD = raw(
  '<thead><tr><th>Ended</th><th>Run</th><th>Verdict</th><th>Level</th><th class="hide-sm">Commit</th></tr></thead>',
);

/** The chart, and its data as a table (newest first) for whoever cannot see it. */
function historySection(name: string, points: HistoryPoint[], now: number): Html {
  const rows = [...points].reverse().map(
    (p) => markup`<tr>
  <td class="nowrap">${timeAgo(p.finishedAt, now)}</td>
  <td>${runLink(p.runId)}</td>
  <td>${pill(p.verdict)}</td>
  <td>${p.verdict === 'error' ? markup`<span class="muted">–</span>` : levelMeter(p.level)}</td>
  <td class="mono hide-sm">${shortSha(p.sha)}</td>
</tr>`,
  );
  const table =
    points.length === 0
      ? ''
      : markup`<details class="history-data"><summary>The chart as a table (${points.length} ${
          points.length === 1 ? 'run' : 'runs'
        }, latest ${pointLabel(points[points.length - 1]!)})</summary>
<div class="scroll-inner"><table>
${HISTORY_HEAD}
<tbody>${rows}</tbody></table></div></details>`;
  return markup`<section class="card history">
${historyChart(name, points, { now: new Date(now) })}
${table}
</section>`;
}
