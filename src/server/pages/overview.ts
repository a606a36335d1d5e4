// GET /: what is going on now (running runs, then the queue in order) and every recipe cc-ci
// knows with its latest run; above them, each enrolled repository the forge will not let cc-ci
// poll, with what the forge said and what to do, and each disk below dashboard.minFreeSpace. Reads
// the per-recipe latest runs, the queued and running runs, and each recipe's latest badge runs of
// the last 90 days (an indexed read of at most SPARKLINE_POINTS each, for its sparkline, redone only
// when the recipe's badge run changed: sparklines.ts), never the whole run history, so it stays fast
// with a long history. A scheduled sweep under way shows how far it is and its ETA.
import { historySince } from '../../model/history.js';
import { inQueueOrder, type RunRecord } from '../../model/run.js';
import { sweepEtaMs } from '../../model/sweep-progress.js';
import type { SweepRow } from '../../queue/store.js';
import type { RepoPollHealth } from '../../trigger/poller.js';
import type { DiskSample } from '../disk-use.js';
import { lowDiskWarnings, type DiskWarning } from '../disk-warnings.js';
import type { ServerDeps } from '../server-deps.js';
import {
  formatDuration,
  layout,
  levelMeter,
  markup,
  pill,
  prLink,
  raw,
  recipeLink,
  runLink,
  timeAgo,
  tone,
  type Html,
} from './html.js';
import { historySparkline } from './history-chart.js';
import { SparklineCache } from './sparklines.js';

/** The most runs a sparkline draws (the latest): enough for 120 pixels, little to read per recipe. */
export const SPARKLINE_POINTS = 60;

/** Queued runs listed by name; the rest are counted. */
const MAX_QUEUED_SHOWN = 50;

const INTRO = raw(
  '<p class="muted small">Every recipe cc-ci tests and its latest run. ' +
    "Comment <code>!testme</code> on a recipe's pull request to test it.</p>",
);
const NOW_HEAD = raw(
  '<thead><tr><th>State</th><th>Recipe</th><th>Ref</th><th>Progress</th>' +
    '<th class="hide-sm">Since</th><th>Run</th></tr></thead>',
);
const RECIPES_HEAD = raw(
  '<thead><tr><th>Recipe</th><th>Latest run</th><th>Level</th><th class="hide-sm">Badge</th>' +
    '<th class="hide-sm">Last 90 days</th>' +
    '<th>Ref</th><th>When</th><th>Run</th></tr></thead>',
);

export function overviewPage(
  deps: ServerDeps,
  now: number,
  disk?: DiskSample,
  sparklines = new SparklineCache(),
): string {
  const stored = new Map(deps.store.recipes().map((r) => [r.name, r]));
  const names = [...new Set([...deps.recipes(), ...stored.keys()])].sort();
  const running = deps.store.inState('running');
  const queued = inQueueOrder(deps.store.inState('queued'));
  const forgeUrl = deps.config.forge?.url;

  const latest = names.map((name) => ({ name, run: stored.get(name)?.latest }));
  const count = (t: string) => latest.filter((r) => r.run && tone(r.run.state) === t).length;
  const never = latest.filter((r) => !r.run).length;

  const stats = markup`<div class="summary">
  ${stat('', names.length, 'recipes')}
  ${stat('pass', count('pass'), 'passing')}
  ${stat('fail', count('fail'), 'failing')}
  ${stat('error', count('error'), 'errored')}
  ${stat('running', running.length, 'running')}
  ${stat('queued', queued.length, 'queued')}
  ${never ? stat('', never, 'never run') : ''}
</div>`;

  const nowRows: Html[] = [
    ...running.map((run) => {
      const progress = run.currentStage
        ? markup`stage <b>${run.currentStage}</b>`
        : markup`<span class="muted">starting</span>`;
      return nowRow(run, progress, markup`started ${timeAgo(run.startedAt ?? run.createdAt, now)}`, forgeUrl);
    }),
    ...queued
      .slice(0, MAX_QUEUED_SHOWN)
      .map((run, i) =>
        nowRow(run, markup`#${i + 1} in the queue`, markup`queued ${timeAgo(run.createdAt, now)}`, forgeUrl),
      ),
  ];
  const more = queued.length - Math.min(queued.length, MAX_QUEUED_SHOWN);
  const nowSection =
    nowRows.length === 0
      ? markup`<div class="scroll"><p class="empty">Nothing is running or queued.</p></div>`
      : markup`<div class="scroll"><table>
${NOW_HEAD}
<tbody>${nowRows}</tbody></table>${more > 0 ? markup`<p class="empty">and ${more} more queued</p>` : ''}</div>`;

  const since = historySince(new Date(now));
  const recipeRows = latest.map(({ name, run }) => {
    const badge = `/badge/${encodeURIComponent(name)}.svg`;
    const badgeRun = stored.get(name)?.badge?.id;
    const sparkline = badgeRun
      ? sparklines.get(name, badgeRun, now, () =>
          historySparkline(deps.store.history(name, since, SPARKLINE_POINTS), { now: new Date(now) }),
        )
      : '';
    return markup`<tr>
  <td>${recipeLink(name)}</td>
  <td>${run ? pill(run.state) : markup`<span class="muted">no runs yet</span>`}</td>
  <td>${run && run.level !== undefined ? levelMeter(run.level) : ''}</td>
  <td class="badge hide-sm"><img src="${badge}" alt="${`${name} badge`}" loading="lazy"></td>
  <td class="hide-sm">${sparkline}</td>
  <td class="nowrap">${run ? refAndPr(run, forgeUrl) : ''}</td>
  <td class="nowrap">${run ? timeAgo(run.finishedAt ?? run.startedAt ?? run.createdAt, now) : ''}</td>
  <td>${run ? runLink(run.id) : ''}</td>
</tr>`;
  });

  const body = markup`<h1>Overview</h1>
${INTRO}
${pollProblems(deps.forgeRepos?.() ?? [])}
${disk ? diskProblems(lowDiskWarnings(disk, deps.config.dashboard.minFreeSpace)) : ''}
${stats}
<h2>Now <span class="count">${running.length} running, ${queued.length} queued</span></h2>
${sweepLines(
  deps.store.recentSweeps().filter((s) => s.active > 0),
  now,
)}
${nowSection}
<h2>Recipes <span class="count">${names.length}</span></h2>
<div class="scroll">${
    names.length === 0
      ? markup`<p class="empty">No recipes yet.</p>`
      : markup`<table>
${RECIPES_HEAD}
<tbody>${recipeRows}</tbody></table>`
  }</div>`;

  return layout({ title: 'Overview', body, refresh: running.length + queued.length > 0 ? 30 : undefined });
}

/** A line per scheduled sweep with runs still queued or running: done/total and the ETA at the measured rate. */
function sweepLines(sweeps: SweepRow[], now: number): Html[] {
  return sweeps.map((s) => {
    const eta = sweepEtaMs(s, now);
    const left =
      eta === undefined ? 'the time left is known once its first run ends' : `about ${formatDuration(eta)} left`;
    return markup`<p class="sweep small" data-sweep="${s.id}">Sweep <code>${s.schedule}</code>:
  <b>${s.done}/${s.total}</b> done, ${left} (started ${timeAgo(s.startedAt, now)}).</p>`;
  });
}

/** One box per repository whose polling fails: `!testme` there is not seen until it is fixed. */
function pollProblems(repos: RepoPollHealth[]): Html[] {
  return repos
    .filter((r) => !r.ok)
    .map(
      (r) => markup`<div class="problem error forge-repo" data-repo="${r.repo}">
  <span class="code">${r.error?.code ?? 'FORGE'}</span><b>!testme on ${r.repo} is not seen:</b>
  polling it failed ${r.failures} ${r.failures === 1 ? 'time' : 'times'} in a row.
  <div class="msg">${r.error?.message ?? ''}</div>
  <div>${r.fix ?? ''}</div>
</div>`,
    );
}

/** One box per filesystem below dashboard.minFreeSpace: runs there may soon fail for want of space. */
function diskProblems(warnings: DiskWarning[]): Html[] {
  return warnings.map(
    (w) => markup`<div class="problem advisory low-disk" data-volume="${w.volume}">
  <span class="code">LOW_DISK</span><b>Free space is low:</b>
  <div class="msg">${w.message}</div>
  <div>${w.fix}</div>
</div>`,
  );
}

function stat(kind: string, n: number, label: string): Html {
  return markup`<div class="${`stat ${kind}`}"><b>${n}</b><span>${label}</span></div>`;
}

function nowRow(run: RunRecord, progress: Html, since: Html, forgeUrl: string | undefined): Html {
  return markup`<tr>
  <td>${pill(run.state)}</td>
  <td>${recipeLink(run.recipe)}</td>
  <td class="nowrap">${refAndPr(run, forgeUrl)}</td>
  <td>${progress}</td>
  <td class="nowrap hide-sm">${since}</td>
  <td>${runLink(run.id)}</td>
</tr>`;
}

/** The ref, with the pull request under it. */
function refAndPr(run: Pick<RunRecord, 'ref' | 'pr' | 'trigger'>, forgeUrl: string | undefined): Html {
  return markup`<span class="mono">${run.ref}</span><span class="sub">${prLink(run, forgeUrl)}</span>`;
}
