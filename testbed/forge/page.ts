// GET /{owner}/{repo}/pulls/{n}: a read-only HTML page of a pull request, so that a person (or a
// screenshot) sees what a Gitea user sees: the title, the head sha, the head's commit statuses
// (the newest per context, as Gitea's merge box shows them) and the conversation — the
// description, then every comment with its author, time and markdown body. Not Gitea's page,
// only its look: no script, no external assets, anonymous (a private repository is a 404).
//
// Markdown is rendered with `marked` the way Gitea's goldmark renders comments: GFM (tables,
// strikethrough, task lists, bare URLs as links), a line break is a <br>
// ([markdown] ENABLE_HARD_LINE_BREAK_IN_COMMENTS defaults to true), `@user` of a known user is a
// link. Raw HTML in a body is shown escaped, as text (Gitea would sanitise it instead); images
// load from wherever they point (cc-ci's card comes from its own server).
import type { ServerResponse } from 'node:http';
import { Marked, type TokenizerAndRendererExtension } from 'marked';
import { repoAccess } from './access.js';
import type { ForgeCore } from './core.js';
import { goTime } from './gojson.js';
import { syncPullRefs } from './pulls.js';
import { toPull } from './to-pull.js';
import type { CommitState, IssueRec, RepoRec, StatusRec, UserRec } from './types.js';

export interface PageTarget {
  owner: string;
  repo: string;
  index: number;
}

/** `/{owner}/{repo}/pulls/{n}` (a trailing slash allowed), else undefined. */
export function pullPageTarget(pathname: string): PageTarget | undefined {
  const m = /^\/([^/]+)\/([^/]+)\/pulls\/([1-9]\d{0,15})\/?$/.exec(pathname);
  if (!m) return undefined;
  try {
    return { owner: decodeURIComponent(m[1]!), repo: decodeURIComponent(m[2]!), index: Number(m[3]) };
  } catch {
    return undefined;
  }
}

export async function servePullPage(
  core: ForgeCore,
  res: ServerResponse,
  target: PageTarget,
  head: boolean,
): Promise<void> {
  const { store } = core;
  const repo = store.repoByName(target.owner, target.repo);
  const mode = repo ? repoAccess(store, repo, null) : 'none';
  const issue = repo && mode !== 'none' ? store.issueByIndex(repo.id, target.index) : undefined;
  if (!repo || !issue?.pull) {
    res.writeHead(404, { 'Content-Type': 'text/plain;charset=utf-8' }).end(head ? undefined : 'Not found.\n');
    return;
  }
  const refs = await syncPullRefs(core, repo);
  const pull = await toPull(core, repo, issue, refs, null, mode);
  const html = pullPage(core, repo, issue, {
    sha: pull.head?.sha ?? '',
    headRef: pull.head?.ref ?? '',
    base: pull.base?.ref ?? '',
    state: pull.state ?? 'open',
  });
  res.writeHead(200, {
    'Content-Type': 'text/html;charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(head ? undefined : html);
}

interface Head {
  sha: string;
  headRef: string;
  base: string;
  state: string;
}

function pullPage(core: ForgeCore, repo: RepoRec, issue: IssueRec, pr: Head): string {
  const { store } = core;
  const fullName = store.fullName(repo);
  const repoUrl = `${core.appUrl}${fullName}`;
  const now = store.clock.unix();
  const md = markdown(core);
  const poster = store.users.get(issue.posterId);
  const posts = [
    post(core, md, now, {
      id: 'issue',
      user: poster,
      verb: 'opened',
      createdUnix: issue.createdUnix,
      updatedUnix: issue.createdUnix,
      body: issue.body,
      empty: 'No description provided.',
    }),
    ...store.commentsOf(issue.id).map((c) =>
      post(core, md, now, {
        id: `issuecomment-${c.id}`,
        user: store.users.get(c.posterId),
        verb: 'commented',
        createdUnix: c.createdUnix,
        updatedUnix: c.updatedUnix,
        body: c.body,
      }),
    ),
  ];
  const stateLabel =
    pr.state === 'closed' ? '<span class="label closed">Closed</span>' : '<span class="label open">Open</span>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(issue.title)} - #${issue.index} - ${esc(fullName)} - Gitea (stand-in)</title>
<style>${CSS}</style></head>
<body>
<header class="navbar"><span class="logo">◆</span> Gitea <span
class="muted">stand-in · ${esc(core.appUrl.replace(/\/$/, ''))}</span></header>
<main>
<div class="repo-title"><a href="${esc(repoUrl)}">${esc(store.ownerName(repo))}</a> / <a
href="${esc(repoUrl)}"><b>${esc(repo.name)}</b></a></div>
<h1 class="pr-title">${esc(issue.title)} <span class="index">#${issue.index}</span></h1>
<div class="pr-meta">${stateLabel} <b>${esc(poster?.login ?? 'ghost')}</b> wants to merge <code
class="branch">${esc(pr.headRef)}</code> into <code
class="branch">${esc(pr.base)}</code>
 · head <code class="sha" id="head-sha" title="${esc(pr.sha)}">${esc(pr.sha.slice(0, 10))}</code></div>
<div class="tabs"><span class="tab active">Conversation <span
class="count">${posts.length - 1}</span></span><span class="tab">Commits</span><span
class="tab">Files changed</span></div>
<div id="conversation" class="timeline">
${posts.join('\n')}
${statusBox(store.statuses, repo, pr.sha)}
</div>
</main>
</body></html>
`;
}

interface Post {
  id: string;
  user: UserRec | undefined;
  verb: string;
  createdUnix: number;
  updatedUnix: number;
  body: string;
  empty?: string;
}

function post(core: ForgeCore, md: Marked, now: number, p: Post): string {
  const login = p.user?.login ?? 'ghost';
  const body =
    p.body.trim() === ''
      ? `<p class="muted"><i>${esc(p.empty ?? '')}</i></p>`
      : (md.parse(p.body, { async: false }) as string);
  const edited =
    p.updatedUnix > p.createdUnix
      ? ` <span class="edited" title="edited ${esc(goTime(p.updatedUnix))}">edited</span>`
      : '';
  return `<div class="timeline-item comment" id="${esc(p.id)}">
<span class="avatar" style="background:${avatarColour(login)}">${esc(login.slice(0, 1).toUpperCase())}</span>
<div class="content">
<div class="comment-header"><span><a class="author"
href="${esc(core.appUrl + encodeURIComponent(login))}">${esc(login)}</a> ${esc(p.verb)} <time
datetime="${esc(goTime(p.createdUnix))}"
title="${esc(goTime(p.createdUnix))}">${esc(ago(now - p.createdUnix))}</time>${edited}</span>
<span class="when">${esc(goTime(p.createdUnix).replace('T', ' ').replace('Z', ' UTC'))}</span></div>
<div class="markup">${body}</div>
</div></div>`;
}

/** The head's newest status per context, newest first, under the summary Gitea's merge box shows. */
function statusBox(statuses: StatusRec[], repo: RepoRec, sha: string): string {
  const newest = new Map<string, StatusRec>();
  for (const s of statuses) {
    if (s.repoId !== repo.id || s.sha !== sha) continue;
    const seen = newest.get(s.context);
    if (!seen || s.rowId > seen.rowId) newest.set(s.context, s);
  }
  const latest = [...newest.values()].sort((a, b) => b.rowId - a.rowId);
  if (latest.length === 0)
    return `<div class="timeline-item status-box" id="commit-status"><div class="content"><div
class="status-summary muted">No commit status on ${esc(sha.slice(0, 10))} yet.</div></div></div>`;
  const worst = latest.reduce((w, s) => (PRIORITY[s.state] < PRIORITY[w] ? s.state : w), 'success' as CommitState);
  const rows = latest.map(
    (s) => `<div class="status-row state-${s.state}" data-context="${esc(s.context)}" data-state="${s.state}">
${ICONS[s.state]}<b class="context">${esc(s.context)}</b> <span class="state">${s.state}</span> <span
class="description">— ${esc(s.description)}</span>
${s.targetUrl ? `<a class="details" href="${esc(s.targetUrl)}">Details</a>` : ''}</div>`,
  );
  return `<div class="timeline-item status-box" id="commit-status">
<span class="avatar status-avatar">${ICONS[worst]}</span>
<div class="content"><div class="status-summary state-${worst}">${SUMMARY[worst]} <span class="muted">on <code
class="sha">${esc(sha.slice(0, 10))}</code></span></div>
${rows.join('\n')}
</div></div>`;
}

const PRIORITY: Record<CommitState, number> = { error: 0, failure: 1, warning: 2, pending: 3, success: 4 };
const SUMMARY: Record<CommitState, string> = {
  success: 'All checks were successful',
  pending: 'Some checks are still pending',
  warning: 'Some checks have warnings',
  failure: 'Some checks were not successful',
  error: 'Some checks were not successful',
};

// Octicons (MIT): check-16, x-16, dot-fill-16, alert-16.
const svg = (cls: string, path: string) =>
  `<svg class="icon ${cls}" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="${path}"/></svg>`;
const CHECK =
  'M13.78 4.22a.75.75 0 0 1 0 1.06l-7.25 7.25a.75.75 0 0 1-1.06 0L2.22 9.28' +
  'a.75.75 0 0 1 1.06-1.06L6 10.94l6.72-6.72a.75.75 0 0 1 1.06 0Z';
const X =
  'M3.72 3.72a.75.75 0 0 1 1.06 0L8 6.94l3.22-3.22a.75.75 0 1 1 1.06 1.06' +
  'L9.06 8l3.22 3.22a.75.75 0 1 1-1.06 1.06L8 9.06l-3.22 3.22a.75.75 0 0 1-1.06-1.06' +
  'L6.94 8 3.72 4.78a.75.75 0 0 1 0-1.06Z';
const DOT = 'M8 4a4 4 0 1 1 0 8 4 4 0 0 1 0-8Z';
const ALERT =
  'M6.457 1.047c.659-1.234 2.427-1.234 3.086 0l6.082 11.378' +
  'A1.75 1.75 0 0 1 14.082 15H1.918a1.75 1.75 0 0 1-1.543-2.575Z' +
  'm1.763.707a.25.25 0 0 0-.44 0L1.698 13.132a.25.25 0 0 0 .22.368h12.164a.25.25 0 0 0 .22-.368Z' +
  'm.53 3.996v2.5a.75.75 0 0 1-1.5 0v-2.5a.75.75 0 0 1 1.5 0ZM9 11a1 1 0 1 1-2 0 1 1 0 0 1 2 0Z';
const ICONS: Record<CommitState, string> = {
  success: svg('green', CHECK),
  failure: svg('red', X),
  error: svg('red', ALERT),
  warning: svg('yellow', ALERT),
  pending: svg('yellow', DOT),
};

/** A marked instance for one page: GFM, hard line breaks, raw HTML escaped, mentions of known users linked. */
function markdown(core: ForgeCore): Marked {
  const mention: TokenizerAndRendererExtension = {
    name: 'mention',
    level: 'inline',
    // Only an @ that does not follow a word character (so not the @ of an e-mail address).
    start: (src) => {
      const i = src.search(/(^|[^\w.@/])@[A-Za-z0-9_]/);
      return i < 0 ? undefined : src[i] === '@' ? i : i + 1;
    },
    tokenizer(src) {
      const m = /^@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)/.exec(src);
      if (!m || !core.store.userByLogin(m[1]!)) return undefined;
      return { type: 'mention', raw: m[0], login: m[1] };
    },
    renderer: (token) =>
      `<a class="mention" href="${esc(core.appUrl + encodeURIComponent(String(token.login)))}">` +
      `@${esc(String(token.login))}</a>`,
  };
  return new Marked({
    gfm: true,
    breaks: true,
    extensions: [mention],
    renderer: {
      // Raw HTML (a block or an inline tag) is text here.
      html: ({ text }) => esc(text),
    },
  });
}

function ago(seconds: number): string {
  const s = Math.max(0, seconds);
  const unit = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'} ago`;
  if (s < 60) return s <= 1 ? 'just now' : unit(s, 'second');
  if (s < 3600) return unit(Math.floor(s / 60), 'minute');
  if (s < 86_400) return unit(Math.floor(s / 3600), 'hour');
  return unit(Math.floor(s / 86_400), 'day');
}

function avatarColour(login: string): string {
  let h = 0;
  for (const c of login) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 45% 55%)`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Gitea's light theme, roughly: its fonts, greys, blue links, green "Open" label, timeline.
const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#fff;color:#181c21;
font:14px/1.5 -apple-system,"Segoe UI",system-ui,Roboto,"Helvetica Neue",Arial,
"Noto Sans","Liberation Sans",sans-serif,"Noto Color Emoji"}
a{color:#4183c4;text-decoration:none}
a:hover{text-decoration:underline}
code,pre{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Monaco,Consolas,
"Liberation Mono","DejaVu Sans Mono",monospace;font-size:.9em}
.muted{color:#808388}
.navbar{display:flex;align-items:center;gap:.5em;height:48px;padding:0 16px;background:#f8f8f9;
border-bottom:1px solid #d0d7de;font-weight:600}
.navbar .logo{color:#609926;font-size:20px}.navbar .muted{font-weight:400;font-size:12px}
main{max-width:1000px;margin:0 auto;padding:16px 20px 40px}
.repo-title{font-size:16px;margin-bottom:14px}
.pr-title{font-size:24px;font-weight:400;margin:0 0 8px}.pr-title .index{color:#808388}
.pr-meta{color:#40474f;margin-bottom:14px}
.label{display:inline-block;padding:3px 10px;border-radius:4px;color:#fff;font-weight:600;font-size:13px;
margin-right:4px}
.label.open{background:#21ba45}.label.closed{background:#db2828}
code.branch,code.sha{background:#eef5ff;color:#2a7ac0;padding:1px 6px;border-radius:4px}
.tabs{display:flex;border-bottom:1px solid #d0d7de;margin-bottom:16px}
.tab{padding:8px 14px;color:#40474f}
.tab.active{border:1px solid #d0d7de;border-bottom-color:#fff;border-radius:4px 4px 0 0;margin-bottom:-1px;
font-weight:600;background:#fff}
.tab .count{background:#e8e8e8;border-radius:10px;padding:0 7px;font-size:12px;font-weight:400}
.timeline{position:relative;padding:4px 0}
.timeline:before{content:"";position:absolute;left:19px;top:0;bottom:0;width:2px;background:#e1e4e8;z-index:0}
.timeline-item{position:relative;display:flex;gap:14px;margin-bottom:18px;z-index:1}
.avatar{flex:0 0 40px;height:40px;border-radius:4px;color:#fff;font-weight:700;font-size:18px;
display:flex;align-items:center;justify-content:center}
.status-avatar{background:#fff;border:1px solid #d0d7de;border-radius:50%}
.content{flex:1;min-width:0;border:1px solid #d0d7de;border-radius:4px;background:#fff}
.comment-header{display:flex;justify-content:space-between;gap:8px;padding:8px 12px;background:#f6f7fa;
border-bottom:1px solid #d0d7de;border-radius:4px 4px 0 0;color:#40474f}
.comment-header .author{font-weight:600;color:#181c21}.comment-header .when{color:#808388;font-size:12px}
.edited{color:#808388;margin-left:4px}
.markup{padding:12px 14px;overflow-wrap:break-word}
.markup>:first-child{margin-top:0}.markup>:last-child{margin-bottom:0}
.markup p,.markup ul,.markup ol,.markup table,.markup blockquote,.markup pre{margin:0 0 12px}
.markup h1,.markup h2,.markup h3{margin:18px 0 10px;font-weight:600;border-bottom:1px solid #e1e4e8}
.markup code{background:rgba(0,0,0,.06);padding:.15em .4em;border-radius:4px}
.markup pre{background:#f6f7fa;border:1px solid #e1e4e8;border-radius:4px;padding:10px 12px;overflow:auto}
.markup pre code{background:none;padding:0;font-size:1em}
.markup blockquote{border-left:4px solid #d0d7de;color:#57606a;padding:0 12px;margin-left:0}
.markup table{border-collapse:collapse;display:block;width:max-content;max-width:100%;overflow:auto}
.markup th,.markup td{border:1px solid #d0d7de;padding:5px 12px}.markup th{font-weight:600;background:#f6f7fa}
.markup tr:nth-child(2n) td{background:#fafbfc}
.markup img{max-width:100%;border-radius:4px}
.markup a.mention{font-weight:600}
.status-summary{padding:10px 14px;font-weight:600;border-bottom:1px solid #e1e4e8}
.status-row{display:flex;align-items:center;gap:8px;padding:8px 14px;border-bottom:1px solid #f0f0f0}
.status-row:last-child{border-bottom:0}
.status-row .state{color:#808388;font-size:12px}.status-row .description{color:#40474f;flex:1;min-width:0}
.status-row .details{margin-left:auto}
.icon{fill:currentColor;flex:0 0 16px}.green{color:#21ba45}.red{color:#db2828}.yellow{color:#c99a00}
`;
