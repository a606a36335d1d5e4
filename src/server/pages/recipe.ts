// GET /recipes/:recipe: a recipe's runs, newest first (the last 100).
import type { ServerDeps } from '../server-deps.js';
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
