// GET /runs/:id: one run. At the top, in one glance: its state, level and what failed (the run's
// error and every failing check with its message). Then the stages with their check rows
// (failed stages open), screenshots, the artifacts, and the log: live over SSE while the run is
// queued or running (the page reloads when it ends), the tail of it once finished. The admin
// forms (cancel, re-run) post the token as a form field, so the page needs no JavaScript.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stageNames } from '../../model/stage.js';
import type { RunResults, SpecUsed } from '../../model/results.js';
import { naNote } from '../../report/verdict.js';
import { isTerminal, type RunRecord, type StageRow } from '../../model/run.js';
import { isArtifactName, readResults } from '../../model/run-folder.js';
import { readLogTail, runLogFile } from '../log-stream.js';
import type { ServerDeps } from '../server-deps.js';
import {
  formatDuration,
  formatTime,
  layout,
  levelMeter,
  markup,
  pill,
  prLink,
  raw,
  recipeLink,
  runDuration,
  runLink,
  shortSha,
  timeAgo,
  tone,
  type Html,
} from './html.js';

/** How much of the log the page shows; the rest is behind the plain-text link. */
const LOG_TAIL_BYTES = 256 * 1024;

type Check = StageRow['checks'][number];
interface StageView extends Omit<StageRow, 'name'> {
  name: string;
}

export async function runPage(deps: ServerDeps, run: RunRecord, now: number, nonce: string): Promise<string> {
  const id = run.id;
  const active = !isTerminal(run);
  const folder = deps.runs.runFiles(id);
  const results = active ? undefined : readResults(folder.results);
  const stages = stageViews(deps, run, results);
  const artifacts = listArtifacts(folder.artifacts, results);
  const log = await readLogTail(runLogFile(deps, id), LOG_TAIL_BYTES, deps.secrets);
  const forgeUrl = deps.config.forge?.url;
  const base = `/runs/${encodeURIComponent(id)}`;

  // What went wrong, up front.
  const failing = stages.flatMap((s) =>
    s.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => ({ stage: s, check: c })),
  );
  const failingStagesWithoutRows = stages.filter(
    (s) =>
      (s.status === 'fail' || s.status === 'error') &&
      !s.checks.some((c) => c.status === 'fail' || c.status === 'error'),
  );
  const problems: Html[] = [];
  if (run.error)
    problems.push(
      problem(tone(run.verdict ?? 'error') === 'fail' ? 'fail' : 'error', run.error.code, '', run.error.message),
    );
  // Advisory failures (lint) last: they lower the level, not the verdict.
  failing.sort((a, b) => Number(a.stage.advisory ?? false) - Number(b.stage.advisory ?? false));
  for (const { stage, check } of failing.slice(0, 8)) {
    problems.push(
      problem(
        stage.advisory ? 'advisory' : check.status === 'fail' ? 'fail' : 'error',
        check.code,
        `${stage.name} › ${check.name}`,
        check.detail ?? '',
      ),
    );
  }
  if (failing.length > 8)
    problems.push(markup`<div class="note">and ${failing.length - 8} more failing checks below</div>`);
  for (const s of failingStagesWithoutRows) {
    if (run.error && s.code === run.error.code && s.reason === run.error.message) continue;
    problems.push(
      problem(s.advisory ? 'advisory' : s.status === 'fail' ? 'fail' : 'error', s.code, s.name, s.reason ?? ''),
    );
  }

  const status: Html[] = [];
  if (run.state === 'queued') {
    const position = deps.runs.queuePosition(id);
    const where = position ? markup`: <b>#${position}</b> in the queue` : '';
    status.push(markup`<div class="note">Queued${where}. This page follows the run.</div>`);
  } else if (run.state === 'running') {
    const stage = run.currentStage ? markup` stage <b>${run.currentStage}</b>` : '';
    const running = formatDuration(runDuration(run, now));
    status.push(markup`<div class="note">Running${stage} for ${running}. This page follows the run.</div>`);
  }
  if (run.supersededBy) status.push(markup`<div class="note">Superseded by run ${runLink(run.supersededBy)}.</div>`);
  if (run.prunedAt) {
    const ago = timeAgo(run.prunedAt, now);
    const pruned = `Its log and artifacts were pruned ${ago} (config retention); its stages stay.`;
    status.push(markup`<div class="note">${pruned}</div>`);
  }
  if (run.trigger.rerunOf) status.push(markup`<div class="note">A re-run of ${runLink(run.trigger.rerunOf)}.</div>`);

  const meter = run.level !== undefined ? levelMeter(run.level) : '';
  const when = run.finishedAt
    ? markup`<span>finished ${timeAgo(run.finishedAt, now)} in ${formatDuration(runDuration(run, now))}</span>`
    : markup`<span>created ${timeAgo(run.createdAt, now)}</span>`;
  const banner = markup`<section class="${`card banner ${tone(run.state)}`}">
  <div class="what">
    <div class="headline">${pill(run.state, { big: true })}<h1>${run.recipe}</h1>${meter}</div>
    <div class="facts">
      <span>ref <b class="mono">${run.ref}</b></span>
      ${run.pr !== undefined ? markup`<span>${prLink(run, forgeUrl)}</span>` : ''}
      ${run.sha ? markup`<span>commit <b class="mono" title="${run.sha}">${shortSha(run.sha)}</b></span>` : ''}
      ${run.verdict ? markup`<span>verdict <b>${run.verdict}</b></span>` : ''}
      <span>${triggerText(run)}</span>
      ${when}
    </div>
    ${problems}
    ${status}
  </div>
</section>`;

  const prRef = run.pr !== undefined ? markup` · ${prLink(run, forgeUrl)}` : '';
  const versions = results?.versions;
  const fromTo = versions ? `${versions.base ? `${versions.base} → ` : ''}${versions.head ?? '?'}` : '';
  const versionsRow = versions?.head || versions?.base ? markup`<dt>Versions</dt><dd class="mono">${fromTo}</dd>` : '';
  const asked = run.stages.length
    ? run.stages.join(', ')
    : markup`<span class="muted">default (${deps.config.runner.stages.join(', ')})</span>`;
  const took = markup`<span class="muted">(${formatDuration(runDuration(run, now))})</span>`;
  const finishedRow = run.finishedAt ? markup`<dt>Finished</dt><dd>${formatTime(run.finishedAt)} ${took}</dd>` : '';
  const rerunOf = run.trigger.rerunOf ? markup` of ${runLink(run.trigger.rerunOf)}` : '';
  const apps = (results?.apps ?? []).map((a, i) => {
    const what = `${a.role}${a.version ? ` · ${a.version}` : ''}`;
    return markup`${i ? markup`<br>` : ''}<span class="mono">${a.domain}</span> <span class="muted">${what}</span>`;
  });
  const details = markup`<section class="card"><dl class="grid">
  <dt>Run</dt><dd class="mono">${id}</dd>
  <dt>Recipe</dt><dd>${recipeLink(run.recipe)}</dd>
  <dt>Repository</dt><dd class="mono">${run.repo}</dd>
  <dt>Ref</dt><dd class="mono">${run.ref}${prRef}</dd>
  ${run.sha ? markup`<dt>Commit</dt><dd class="mono">${run.sha}</dd>` : ''}
  ${versionsRow}
  ${results?.spec ? markup`<dt>Spec</dt><dd>${specText(results.spec)}</dd>` : ''}
  <dt>Stages asked</dt><dd>${asked}${run.keep ? ' · --keep' : ''}</dd>
  <dt>Triggered</dt><dd>${triggerText(run)}${rerunOf}</dd>
  <dt>Created</dt><dd>${formatTime(run.createdAt)}</dd>
  ${run.startedAt ? markup`<dt>Started</dt><dd>${formatTime(run.startedAt)}</dd>` : ''}
  ${finishedRow}
  ${apps.length ? markup`<dt>Apps</dt><dd>${apps}</dd>` : ''}
  ${results ? teardownRow(results.teardown) : ''}
</dl></section>`;

  const admin = markup`<section class="card"><h2 class="first">Admin</h2>
<p class="muted small">Needs the admin token.</p>
<div class="admin">
  ${active ? adminForm(`${base}/cancel`, markup`<button class="danger" type="submit">Cancel run</button>`) : ''}
  ${adminForm(`${base}/rerun`, markup`<button type="submit">Re-run</button>`)}
</div></section>`;

  const screenshots = artifacts.filter((a) => a.name.endsWith('.png'));
  const crumbs = markup`<a href="/">Overview</a> / ${recipeLink(run.recipe)} / <span class="mono">${id}</span>`;
  const noStages = active ? 'No stages yet.' : 'No stage results were recorded for this run.';
  const stageList = stages.length
    ? stages.map((s) => stageBlock(s, base))
    : markup`<div class="scroll"><p class="empty">${noStages}</p></div>`;
  const shots = screenshots.map((a) => {
    const href = `${base}/artifacts/${a.name}`;
    const img = markup`<img src="${href}" alt="${a.name}" loading="lazy">`;
    return markup`<figure><a href="${href}">${img}</a><figcaption>${a.name}</figcaption></figure>`;
  });
  const files = artifacts.map((a) => {
    const size = markup`<span class="muted small">${formatSize(a.size)}</span>`;
    return markup`<li><a href="${`${base}/artifacts/${a.name}`}">${a.name}</a> ${size}</li>`;
  });
  const fileList = artifacts.length ? markup`<ul class="files">${files}</ul>` : markup`<p class="muted">None yet.</p>`;
  const body = markup`<p class="crumbs">${crumbs}</p>
${banner}
<h2>Stages</h2>
${stageList}
${screenshots.length ? markup`<h2>Screenshots</h2><div class="shots">${shots}</div>` : ''}
${active ? logSection(base, log, active) : ''}
<div class="cols">
  <div><h2>Details</h2>${details}</div>
  <div><h2>Artifacts <span class="count">${artifacts.length}</span></h2><section class="card">${fileList}</section>
  ${admin}</div>
</div>
${active ? '' : logSection(base, log, active)}`;

  return layout({
    title: `${run.recipe} ${run.state} · ${id}`,
    body,
    nonce,
    script: active ? LIVE_LOG_SCRIPT : undefined,
    refreshNoScript: active ? 10 : undefined,
  });
}

function problem(kind: 'fail' | 'error' | 'advisory', code: string | undefined, where: string, message: string): Html {
  const codeTag = code ? markup`<span class="code">${code}</span>` : '';
  const whereTag = where ? markup`<b>${where}</b>` : '';
  const hint = kind === 'advisory' ? ADVISORY_HINT : '';
  const msg = message ? markup`<div class="msg">${message}</div>` : '';
  return markup`<div class="${`problem ${kind}`}">${codeTag}${whereTag}${hint}${msg}</div>`;
}

const ADVISORY_HINT = raw('<span class="hint">advisory: lowers the level, not the verdict</span>');

/** The teardown line of the details: clean, or what it left; and how long --keep keeps it. */
function teardownRow(t: RunResults['teardown']): Html {
  const how = t.clean
    ? markup`clean <span class="muted">(${formatDuration(t.durationMs)})</span>`
    : markup`<b>left ${t.left.join(', ')}</b>`;
  const kept = t.keptUntil ? markup` · kept until ${formatTime(t.keptUntil)}` : '';
  return markup`<dt>Teardown</dt><dd>${how}${kept}</dd>`;
}

const TOKEN_INPUT = raw(
  '<input type="password" name="token" placeholder="admin token" ' +
    'autocomplete="current-password" aria-label="admin token">',
);

/** A form of the admin card: posts the admin token to `action`. */
function adminForm(action: string, button: Html): Html {
  return markup`<form method="post" action="${action}">${TOKEN_INPUT}${button}</form>`;
}

function triggerText(run: RunRecord): string {
  const t = run.trigger;
  if (t.kind === 'push') return 'a push to the default branch';
  if (t.kind === 'sweep') return 'a scheduled sweep';
  const how = t.kind === 'forge' ? '!testme' : t.kind === 'rerun' ? 're-run' : 'API';
  return t.by ? `${how} by ${t.by}` : `via ${how}`;
}

// ---------------------------------------------------------------------------------------------
// Stages

/** Which spec the run used, from where. */
function specText(spec: SpecUsed): string {
  switch (spec.source) {
    case 'operator':
      return `recipes/${spec.path ?? 'ci.yml'} (cc-ci's spec for this recipe; it replaces any in the recipe)`;
    case 'recipe':
      return `${spec.path ?? 'tests/cc-ci.yml'} (the recipe's own, at the tested commit)`;
    default:
      return 'none: the generic suite';
  }
}

/** The store's stage rows (results.json's for a finished run the store has none of), plus the stages still to come. */
function stageViews(deps: ServerDeps, run: RunRecord, results: RunResults | undefined): StageView[] {
  const rows: StageView[] = deps.store.stagesOf(run.id);
  if (rows.length === 0 && results) rows.push(...results.stages);
  if (isTerminal(run)) return rows;
  const asked = run.stages.length ? run.stages : deps.config.runner.stages;
  const have = new Set(rows.map((r) => r.name));
  for (const name of stageNames) {
    if (!asked.includes(name) || have.has(name)) continue;
    rows.push({
      name,
      status: run.state === 'running' && run.currentStage === name ? 'running' : 'pending',
      checks: [],
    });
  }
  const order = (n: string) => stageNames.indexOf(n as (typeof stageNames)[number]);
  return rows.sort((a, b) => order(a.name) - order(b.name));
}

const ICONS: Record<string, string> = { pass: '✓', fail: '✗', error: '!', skip: '–' };
const ADVISORY_PILL = raw(
  '<span class="pill quiet" title="a failure lowers the level, not the verdict">advisory</span>',
);

function stageBlock(s: StageView, base: string): Html {
  const bad = s.checks.filter((c) => c.status === 'fail' || c.status === 'error').length;
  const passed = s.checks.filter((c) => c.status === 'pass').length;
  const open = s.status === 'fail' || s.status === 'error' || bad > 0;
  const counts = s.checks.length ? `${passed}/${s.checks.length} checks passed` : '';
  const code = s.code ? markup`<span class="mono"><b>${s.code}</b></span> ` : '';
  // An na says whether it counted for the level, and who declared it.
  const note = naNote(s);
  const why = note ? `${note}: ${s.reason ?? 'not applicable'}` : s.reason;
  const reason = why ? markup`<span class="stage-reason">${code}${why}</span>` : '';
  const summary = markup`<summary>
  <span class="stage-name">${s.name}</span>${pill(s.status)}${s.advisory ? ADVISORY_PILL : ''}
  <span class="stage-meta">${[formatDuration(s.durationMs), counts].filter(Boolean).join(' · ')}</span>
  ${reason}
</summary>`;
  const waiting = s.status === 'running' ? 'Running…' : s.status === 'pending' ? 'Not started yet.' : 'No checks.';
  const rows = s.checks.map((c) => checkRow(c, base));
  const checks =
    s.checks.length === 0
      ? markup`<p class="empty">${waiting}</p>`
      : markup`<div class="scroll-inner"><table class="checks"><tbody>${rows}</tbody></table></div>`;
  return markup`<details class="${`stage ${tone(s.status)}`}"${open ? raw(' open') : ''}>${summary}${checks}</details>`;
}

function checkRow(c: Check, base: string): Html {
  const cls = c.status === 'fail' ? 'row-fail' : c.status === 'error' ? 'row-error' : '';
  const code = c.code && c.status !== 'pass' ? markup`<span class="code">${c.code}</span>` : '';
  const art =
    c.artifact && isArtifactName(c.artifact)
      ? markup`<a href="${`${base}/artifacts/${c.artifact}`}">${c.artifact}</a>`
      : '';
  return markup`<tr class="${cls}">
  <td class="${`icon ${c.status}`}" title="${c.status}">${ICONS[c.status] ?? '?'}</td>
  <td class="name">${c.name}</td>
  <td class="detail">${code}${c.detail ?? ''}</td>
  <td class="dur">${formatDuration(c.durationMs)}</td>
  <td class="art">${art}</td>
</tr>`;
}

// ---------------------------------------------------------------------------------------------
// Artifacts and the log

function listArtifacts(dir: string, results: RunResults | undefined): Array<{ name: string; size?: number }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    names = [];
  }
  const all = [...new Set([...names, ...(results?.artifacts ?? [])])].filter(isArtifactName).sort();
  return all.flatMap((name) => {
    try {
      const info = statSync(join(dir, name));
      return info.isFile() ? [{ name, size: info.size }] : [];
    } catch {
      return [];
    }
  });
}

function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function logLine(line: string): Html {
  const level = line.slice(9, 14);
  const cls = level === 'WARN ' ? 'warn' : level === 'ERROR' || level === 'FATAL' ? 'err' : '';
  return cls ? markup`<span class="${cls}">${line}\n</span>` : markup`${line}\n`;
}

function logSection(
  base: string,
  log: { exists: boolean; lines: string[]; offset: number; skipped: number },
  active: boolean,
): Html {
  const plain = markup`<a href="${`${base}/log`}">plain text</a>`;
  const json = markup`<a href="${`${base}/artifacts/run.log`}">raw JSON lines</a>`;
  const live = active ? markup`<span class="live" id="live">live</span>` : '';
  const skippedNote = `showing the end; ${formatSize(log.skipped)} before it are in the plain text`;
  const skipped = log.skipped > 0 ? markup`<span class="muted small">${skippedNote}</span>` : '';
  const links = markup`<span class="small">${plain} · ${json}</span>`;
  const head = markup`<div class="log-head"><h2>Log</h2>${live}${links}${skipped}</div>`;
  if (active) {
    const src = `${base}/log?offset=${log.offset}`;
    return markup`${head}<pre class="log" id="log" data-src="${src}">${log.lines.map(logLine)}</pre>`;
  }
  if (!log.exists) return markup`${head}<div class="scroll"><p class="empty">This run left no log.</p></div>`;
  return markup`${head}<pre class="log" id="log">${log.lines.map(logLine)}</pre>`;
}

// Appends the SSE lines to the log (batched, at most 20 000 lines kept, scrolled along when at
// the bottom) and reloads the page once the run has ended.
const LIVE_LOG_SCRIPT = `(function () {
  var pre = document.getElementById('log'), live = document.getElementById('live');
  if (!pre || !window.EventSource) return;
  var es = new EventSource(pre.getAttribute('data-src')), queue = [], timer = 0, MAX = 20000;
  pre.scrollTop = pre.scrollHeight;
  function kind(l) {
    var w = l.substr(9, 5);
    return w === 'WARN ' ? 'warn' : (w === 'ERROR' || w === 'FATAL') ? 'err' : '';
  }
  function flush() {
    timer = 0;
    var follow = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 40, f = document.createDocumentFragment();
    for (var i = 0; i < queue.length; i++) {
      var t = document.createTextNode(queue[i] + '\\n'), k = kind(queue[i]);
      if (k) {
        var s = document.createElement('span');
        s.className = k;
        s.appendChild(t);
        f.appendChild(s);
      } else f.appendChild(t);
    }
    queue = [];
    pre.appendChild(f);
    while (pre.childNodes.length > MAX) pre.removeChild(pre.firstChild);
    if (follow) pre.scrollTop = pre.scrollHeight;
  }
  es.onmessage = function (e) { queue.push(e.data); if (!timer) timer = setTimeout(flush, 50); };
  es.onopen = function () { live.textContent = 'live'; };
  es.onerror = function () { if (es.readyState !== 2) live.textContent = 'reconnecting…'; };
  es.addEventListener('end', function (e) {
    es.close(); flush(); live.textContent = 'run ' + e.data + ', reloading…';
    setTimeout(function () { location.reload(); }, 800);
  });
})();`;
