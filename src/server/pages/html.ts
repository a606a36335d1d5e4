// The pages' building blocks: a `markup` tagged template that escapes every interpolated value
// unless it is already HTML (made by `markup` itself or marked with `raw`), the layout with its
// inline stylesheet, state and status pills, level meters, durations and relative ages. No
// external assets: a page is one response.

/** A piece of HTML that is already safe to insert as it is. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks trusted markup (never anything that came from a run, a request or a file). */
export function raw(value: string): Html {
  return new Html(value);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Interpolation: Html as is, arrays item by item, null/undefined/false as nothing, all else escaped. */
function interpolate(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(interpolate).join('');
  return escapeHtml(String(value));
}

// Not named `html`: Prettier formats a template tagged `html` as HTML, which would change the pages' whitespace.
export function markup(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += interpolate(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

// ---------------------------------------------------------------------------------------------
// Words and numbers

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago", then the date. */
export function formatAge(iso: string | undefined, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '';
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  const d = Math.floor(h / 24);
  if (d < 30) return `${d} d ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** The absolute time in UTC, e.g. "2026-11-30 13:26:49 UTC". */
export function formatTime(iso: string | undefined): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '';
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
}

/** A relative age with the absolute time on hover. */
export function timeAgo(iso: string | undefined, now: number): Html {
  if (!iso) return markup`<span class="muted">–</span>`;
  return markup`<time datetime="${iso}" title="${formatTime(iso)}">${formatAge(iso, now)}</time>`;
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 8) : '';
}

/** How long a run took, or has been going. */
export function runDuration(
  run: { createdAt: string; startedAt?: string; finishedAt?: string },
  now: number,
): number | undefined {
  const start = Date.parse(run.startedAt ?? '');
  if (!Number.isFinite(start)) return undefined;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return Number.isFinite(end) ? Math.max(0, end - start) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Pills and meters

/** The colour family of a state, verdict or status. */
export function tone(word: string | undefined): string {
  switch (word) {
    case 'pass':
    case 'passed':
      return 'pass';
    case 'fail':
    case 'failed':
      return 'fail';
    case 'error':
    case 'errored':
      return 'error';
    case 'running':
      return 'running';
    case 'queued':
    case 'pending':
      return 'queued';
    case 'cancelled':
    case 'superseded':
    case 'interrupted':
      return 'grey';
    case 'skip':
    case 'na':
      return 'quiet';
    default:
      return 'quiet';
  }
}

const LABELS: Record<string, string> = { na: 'n/a', pass: 'pass', fail: 'fail', error: 'error', skip: 'skip' };

export function pill(word: string | undefined, opts: { big?: boolean; title?: string } = {}): Html {
  if (!word) return markup`<span class="muted">–</span>`;
  const title = opts.title ? markup` title="${opts.title}"` : '';
  return markup`<span class="${`pill ${tone(word)}${opts.big ? ' big' : ''}`}"${title}>${LABELS[word] ?? word}</span>`;
}

/** L0–L5 as five segments, filled up to the level. */
export function levelMeter(level: number | undefined): Html {
  if (level === undefined) return markup`<span class="muted">–</span>`;
  const segs = [1, 2, 3, 4, 5].map((n) => raw(n <= level ? '<i class="on"></i>' : '<i></i>'));
  const meter = markup`<span class="meter">${segs}</span><b>L${level}</b>`;
  return markup`<span class="level" title="${`level ${level} of 5`}">${meter}</span>`;
}

// ---------------------------------------------------------------------------------------------
// The layout

export interface PageOptions {
  title: string;
  body: Html;
  /** The CSP nonce of inline scripts, when the page has one. */
  nonce?: string;
  script?: string;
  /** Seconds after which a page without JavaScript reloads itself (live pages). */
  refreshNoScript?: number;
  /** Seconds after which the page reloads itself, with or without JavaScript. */
  refresh?: number;
}

const TOP_BAR = raw(
  '<header class="top"><div class="wrap"><a class="brand" href="/">cc-ci</a>' +
    '<span class="tag">Co-op Cloud recipe CI</span><nav><a href="/">Overview</a></nav></div></header>',
);

export function layout(opts: PageOptions): string {
  const head = [
    opts.refresh ? markup`<meta http-equiv="refresh" content="${opts.refresh}">` : '',
    opts.refreshNoScript
      ? markup`<noscript><meta http-equiv="refresh" content="${opts.refreshNoScript}"></noscript>`
      : '',
  ];
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${opts.title} · cc-ci</title>
${head}
<style>${raw(STYLES)}</style>
</head>
<body>
${TOP_BAR}
<main class="wrap">
${opts.body}
</main>
${opts.script && opts.nonce ? markup`<script nonce="${opts.nonce}">${raw(opts.script)}</script>` : ''}
</body>
</html>
`.value;
}

/** The Content-Security-Policy of a page: nothing from elsewhere, inline scripts only with the nonce. */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "img-src 'self' data:",
    "style-src 'unsafe-inline'",
    `script-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A page that only says something went wrong (404, 401, 400). */
export function messagePage(
  status: number,
  title: string,
  message: string,
  back?: { href: string; label: string },
): string {
  return layout({
    title,
    body: markup`<section class="card notice">
  <p class="status-code">${status}</p>
  <h1>${title}</h1>
  <p>${message}</p>
  <p><a href="${back?.href ?? '/'}">${back?.label ?? '← Back to the overview'}</a></p>
</section>`,
  });
}

const STYLES = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1f2328;--muted:#656d76;--line:#d8dee4;--soft:#eef1f4;
--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--error:#bc4c00;--error-bg:#fff1e5;
--run:#0969da;--run-bg:#ddf4ff;--queue:#8250df;--queue-bg:#fbefff;--grey:#6e7781;--grey-bg:#eaeef2;
--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Helvetica,Arial,sans-serif}
a{color:var(--run);text-decoration:none}a:hover{text-decoration:underline}
.wrap{max-width:1240px;margin:0 auto;padding:0 20px}
header.top{background:#24292f;color:#fff;margin-bottom:22px}
header.top .wrap{display:flex;align-items:center;gap:14px;height:52px}
header.top .brand{color:#fff;font-weight:700;font-size:18px;letter-spacing:.2px}
header.top .tag{color:#9ea7b3;font-size:13px}
header.top nav{margin-left:auto}header.top nav a{color:#d0d7de;font-size:14px}
h1{font-size:24px;margin:0 0 4px;line-height:1.25;word-break:break-word}
h2{font-size:17px;margin:28px 0 10px}
h2 .count{color:var(--muted);font-weight:400}
h2.first{margin-top:0}
.scroll-inner{overflow-x:auto}
.muted{color:var(--muted)}.small{font-size:13px}
code,.mono{font-family:var(--mono);font-size:.92em}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-bottom:16px}
.crumbs{font-size:14px;color:var(--muted);margin:0 0 10px}.crumbs a{color:var(--muted)}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:650;line-height:20px;
text-transform:uppercase;letter-spacing:.4px;white-space:nowrap;border:1px solid transparent}
.pill.big{font-size:15px;padding:4px 14px;line-height:22px}
.pill.pass{background:var(--pass);color:#fff}.pill.fail{background:var(--fail);color:#fff}
.pill.error{background:var(--error);color:#fff}.pill.running{background:var(--run);color:#fff}
.pill.queued{background:var(--queue-bg);color:var(--queue);border-color:#d8b9ff}
.pill.grey{background:var(--grey);color:#fff}
.pill.quiet{background:var(--soft);color:var(--muted);border-color:var(--line)}
.pill.running::before{content:"";display:inline-block;width:7px;height:7px;border-radius:50%;background:#fff;
margin-right:6px;vertical-align:1px;animation:blink 1.2s infinite}
@keyframes blink{50%{opacity:.25}}
.level{display:inline-flex;align-items:center;gap:6px;white-space:nowrap}
.level b{font-weight:600;font-size:13px}
.meter{display:inline-flex;gap:2px}
.meter i{display:block;width:9px;height:12px;border-radius:2px;background:var(--line)}
.meter i.on{background:var(--pass)}
.summary{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 8px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 16px;min-width:120px}
.stat b{display:block;font-size:24px;line-height:1.2}.stat span{color:var(--muted);font-size:13px}
.stat.pass b{color:var(--pass)}
.stat.fail b{color:var(--fail)}
.stat.error b{color:var(--error)}
.stat.running b{color:var(--run)}
.stat.queued b{color:var(--queue)}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:9px 12px;border-bottom:1px solid var(--soft);vertical-align:middle}
th{font-size:12px;text-transform:uppercase;letter-spacing:.5px;color:var(--muted);font-weight:600;background:#fafbfc;
white-space:nowrap}
tbody tr:last-child td{border-bottom:0}
tbody tr:hover td{background:#fafbfc}
td.nowrap,th.nowrap{white-space:nowrap}
td .sub{display:block;color:var(--muted);font-size:12.5px}
tr.row-fail td{background:var(--fail-bg)}tr.row-error td{background:var(--error-bg)}
tr.row-fail:hover td{background:#ffdcd7}tr.row-error:hover td{background:#ffe2c8}
.recipe-name{font-weight:600;white-space:nowrap}
.badge img{display:block;height:20px}
.empty{padding:22px;color:var(--muted);text-align:center}
.banner{border-left:6px solid var(--grey);display:flex;flex-wrap:wrap;gap:14px 22px;align-items:flex-start}
.banner.pass{border-left-color:var(--pass)}
.banner.fail{border-left-color:var(--fail)}
.banner.error{border-left-color:var(--error)}
.banner.running{border-left-color:var(--run)}.banner.queued{border-left-color:var(--queue)}
.banner .what{flex:1 1 420px;min-width:0}
.banner .facts{display:flex;flex-wrap:wrap;gap:6px 18px;color:var(--muted);font-size:14px;margin-top:6px}
.banner .facts b{color:var(--ink);font-weight:600}
.headline{display:flex;align-items:center;gap:12px;flex-wrap:wrap;margin-bottom:4px}
.problem{margin-top:12px;border-radius:8px;padding:10px 14px;background:var(--fail-bg);border:1px solid #ffcecb}
.problem.error{background:var(--error-bg);border-color:#ffd8b5}
.problem .code{font-family:var(--mono);font-weight:700;font-size:13px;margin-right:8px}
.problem .msg{white-space:pre-wrap;word-break:break-word}
.problem.advisory{background:#fff8c5;border-color:#eedd9b}
.problem .hint{color:var(--muted);font-size:13px;font-weight:400;margin-left:6px}
.problem + .problem{margin-top:8px}
.note{margin-top:12px;border-radius:8px;padding:8px 14px;background:var(--soft)}
dl.grid{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0}
dl.grid dt{color:var(--muted);font-size:13.5px}dl.grid dd{margin:0;word-break:break-word}
.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
@media (max-width:820px){.cols{grid-template-columns:1fr}}
.admin{display:flex;flex-wrap:wrap;gap:10px 18px}
.admin form{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.admin input[type=password]{font:inherit;padding:5px 9px;border:1px solid var(--line);border-radius:6px;width:190px}
button{font:inherit;font-weight:600;padding:5px 14px;border-radius:6px;border:1px solid var(--line);background:#f6f8fa;
color:var(--ink);cursor:pointer}
button:hover{background:#eef1f4}
button.danger{color:var(--fail);border-color:#ffcecb}
button.danger:hover{background:var(--fail-bg)}
details.stage{background:var(--card);border:1px solid var(--line);border-radius:10px;margin-bottom:12px;overflow:hidden}
details.stage > summary{list-style:none;cursor:pointer;padding:11px 16px;display:flex;gap:12px;align-items:center;
flex-wrap:wrap}
details.stage > summary::-webkit-details-marker{display:none}
details.stage > summary::before{content:"▸";color:var(--muted);width:10px}
details.stage[open] > summary::before{content:"▾"}
details.stage[open] > summary{border-bottom:1px solid var(--soft)}
details.stage.fail{border-color:#ffcecb}details.stage.error{border-color:#ffd8b5}
.stage-name{font-weight:650;font-size:16px}
.stage-meta{color:var(--muted);font-size:13.5px}
.stage-reason{flex-basis:100%;color:var(--ink);font-size:14px;padding-left:22px;white-space:pre-wrap;
word-break:break-word}
.checks td.icon{width:26px;font-weight:700;text-align:center;padding-right:0}
.checks td.icon.pass{color:var(--pass)}
.checks td.icon.fail{color:var(--fail)}
.checks td.icon.error{color:var(--error)}
.checks td.icon.skip{color:var(--muted)}
.checks td.detail{white-space:pre-wrap;word-break:break-word;color:var(--muted);font-size:13.5px}
.checks tr.row-fail td.detail,.checks tr.row-error td.detail{color:var(--ink);font-size:14px}
.checks td.name{font-weight:500;min-width:180px;width:28%}
.checks td.dur{white-space:nowrap;color:var(--muted);font-size:13px;text-align:right}
.checks td.art{white-space:nowrap;font-size:13px}
.checks .code{font-family:var(--mono);font-size:12px;font-weight:700;margin-right:6px}
.history .history-chart{display:block;max-width:100%;height:auto}
details.history-data summary{cursor:pointer;color:var(--muted);font-size:14px;margin-top:8px}
details.history-data table{margin-top:8px}
.sparkline{display:block}
.shots{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:14px}
.shots figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden}
.shots img{display:block;width:100%;height:auto;border-bottom:1px solid var(--soft)}
.shots figcaption{padding:7px 12px;font-size:13px;font-family:var(--mono)}
ul.files{list-style:none;margin:0;padding:0;columns:3 220px;column-gap:24px}
ul.files li{padding:3px 0;font-family:var(--mono);font-size:13.5px;break-inside:avoid}
pre.log{margin:0;background:#0d1117;color:#d1d7e0;font:12.5px/1.55 var(--mono);padding:14px 16px;border-radius:10px;
overflow:auto;max-height:70vh;white-space:pre-wrap;word-break:break-all}
pre.log .warn{color:#e3b341}pre.log .err{color:#ff7b72}
pre.log:empty::before{content:"waiting for the first line of the log…";color:#8b949e}
.log-head{display:flex;align-items:baseline;gap:14px;flex-wrap:wrap}
.log-head .live{color:var(--run);font-weight:600;font-size:13px}
.notice{max-width:640px;margin:40px auto;text-align:center}
.notice .status-code{font-size:48px;font-weight:800;color:var(--muted);margin:0}
@media (max-width:640px){.wrap{padding:0 12px}th,td{padding:8px}.hide-sm{display:none}h1{font-size:20px}
.summary{gap:6px}.stat{min-width:0;flex:1 1 28%;padding:6px 10px}.stat b{font-size:19px}
.checks tr{display:grid;grid-template-columns:26px minmax(0,1fr) auto;
grid-template-areas:"icon name dur" ". detail detail" ". art art";border-bottom:1px solid var(--soft)}
.checks td{border:0;padding:4px 8px}
.checks td.icon{grid-area:icon;padding-top:8px}
.checks td.name{grid-area:name;width:auto;min-width:0;padding-top:8px}
.checks td.dur{grid-area:dur;padding-top:8px}
.checks td.detail{grid-area:detail}
.checks td.art{grid-area:art}
.checks td:empty{display:none}}
`;

// ---------------------------------------------------------------------------------------------
// Runs

/** "PR #7", linked to the forge when the run came from one. */
export function prLink(run: { pr?: number; trigger: { forgeRepo?: string } }, forgeUrl: string | undefined): Html {
  if (run.pr === undefined) return markup``;
  if (forgeUrl && run.trigger.forgeRepo) {
    const href = `${forgeUrl.replace(/\/+$/, '')}/${run.trigger.forgeRepo}/pulls/${run.pr}`;
    return markup`<a href="${href}">PR #${run.pr}</a>`;
  }
  return markup`PR #${run.pr}`;
}

export function runLink(id: string): Html {
  return markup`<a class="mono" href="${`/runs/${encodeURIComponent(id)}`}">${id}</a>`;
}

export function recipeLink(name: string): Html {
  return markup`<a class="recipe-name" href="${`/recipes/${encodeURIComponent(name)}`}">${name}</a>`;
}
