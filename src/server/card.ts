// GET /runs/:id/card.png: a run's summary card (1200×630, a social-card size), for the PR
// comment to embed: the recipe and the version tested, the verdict big and coloured, the level
// meter, one row per stage with its pill, duration and (when it went wrong) its reason, and a
// footer naming the run. The card is an HTML page in the dashboard's colours and pills (every
// value escaped, no external assets, no script) drawn by Chromium (card-render.ts).
//
// A finished run's card never changes: it is drawn once, written to <run dir>/card.png and
// served from there, immutable. A queued or running run's card is drawn fresh every time and
// never written. Chromium unavailable, or too many cards being drawn → 503; the server stays up.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorMessage } from '../model/errors.js';
import { stageNames, type NaBy } from '../model/stage.js';
import { naNote } from '../report/verdict.js';
import { isTerminal, type RunRecord } from '../model/run.js';
import { CardRenderer, pngSize, RenderUnavailable, type RenderSize } from './card-render.js';
import { runFromParam } from './log-stream.js';
import { formatDuration, formatTime, markup, pill, raw, runDuration, shortSha, tone, type Html } from './pages/html.js';
import { readResults } from '../model/run-folder.js';
import type { ServerDeps } from './server-deps.js';

export const CARD_SIZE: RenderSize = { width: 1200, height: 630 };
export const CARD_FILE = 'card.png';

/** How much of a stage's reason the card shows (CSS cuts it to one line as well). */
const REASON_CHARS = 140;

export interface CardStage {
  name: string;
  /** A stage status (pass, fail, error, skip, na) or, while the run goes, running or pending. */
  status: string;
  durationMs?: number;
  code?: string;
  /** One line: why it failed, errored or did not run. */
  reason?: string;
  advisory?: boolean;
}

/** Everything the card shows, already masked and cut to size. */
export interface CardView {
  runId: string;
  recipe: string;
  state: RunRecord['state'];
  /** results' versions.head, when the run got that far. */
  version?: string;
  ref: string;
  sha?: string;
  pr?: number;
  level?: number;
  durationMs?: number;
  currentStage?: string;
  stages: CardStage[];
  /** The run's own error, when no stage row says it already. */
  problem?: { code: string; message: string };
  /** The footer's time (finished, else started, else created). */
  at: string;
}

export interface CardOptions {
  /**
   * Defaults to one of its own that launches cc-ci's Chromium, closed when the server closes; one passed in is the
   * caller's to close.
   */
  renderer?: CardRenderer;
}

export function registerCard(app: FastifyInstance, deps: ServerDeps, opts: CardOptions = {}): void {
  const renderer = opts.renderer ?? ownRenderer(app, deps);
  // One render per finished run, however many ask for it at once.
  const drawing = new Map<string, Promise<Buffer>>();

  app.get<{ Params: { id: string } }>('/runs/:id/card.png', async (request, reply) => {
    const run = runFromParam(deps, request.params.id);
    if (!run) return reply.code(404).type('text/plain; charset=utf-8').send('no such run\n');
    const draw = () => renderer.render(cardHtml(cardView(deps, run, Date.now())), CARD_SIZE);
    try {
      if (!isTerminal(run)) return sendPng(reply, await draw(), false);
      const file = join(deps.runs.runFiles(run.id).dir, CARD_FILE);
      const cached = await readFile(file).catch(() => undefined);
      if (cached && pngSize(cached)) return sendPng(reply, cached, true);
      let pending = drawing.get(run.id);
      if (!pending) {
        pending = draw()
          .then(async (png) => {
            await writeAtomically(file, png).catch((err: unknown) =>
              deps.log.warn(
                { runId: run.id, err },
                `the card of run ${run.id} could not be saved: ${errorMessage(err)}`,
              ),
            );
            return png;
          })
          .finally(() => drawing.delete(run.id));
        drawing.set(run.id, pending);
      }
      return sendPng(reply, await pending, true);
    } catch (err) {
      const why =
        err instanceof RenderUnavailable && err.reason === 'busy'
          ? 'too many cards are being drawn; try again shortly'
          : err instanceof RenderUnavailable && err.reason === 'closed'
            ? 'the server is stopping'
            : 'Chromium is not available to draw it';
      deps.log.warn(
        { runId: run.id, src: 'card' },
        `the card of run ${run.id} could not be drawn: ${errorMessage(err)}`,
      );
      return reply
        .code(503)
        .header('retry-after', '30')
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(`the card of run ${run.id} cannot be drawn now: ${why}\n`);
    }
  });
}

function ownRenderer(app: FastifyInstance, deps: ServerDeps): CardRenderer {
  const renderer = new CardRenderer({ onBrowserProblem: (message) => deps.log.error({ src: 'card' }, message) });
  app.addHook('onClose', async () => renderer.close());
  return renderer;
}

function sendPng(reply: FastifyReply, png: Buffer, immutable: boolean): FastifyReply {
  return reply
    .header('content-type', 'image/png')
    .header('content-length', png.length)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .send(png);
}

/** Written under a temporary name and renamed, so a reader never sees half a PNG. */
async function writeAtomically(file: string, data: Buffer): Promise<void> {
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// What the card shows

/** The card's content for a run: the store's stage rows (results.json's when it has none), masked. */
export function cardView(
  deps: Pick<ServerDeps, 'store' | 'runs' | 'config' | 'secrets'>,
  run: RunRecord,
  now: number,
): CardView {
  const mask = (s: string | undefined) => (s === undefined ? undefined : deps.secrets.redact(s));
  const finished = isTerminal(run);
  const results = finished ? readResults(deps.runs.runFiles(run.id).results) : undefined;
  type Row = CardStage & {
    naBy?: NaBy;
    checks?: Array<{ name: string; status: string; code?: string; detail?: string }>;
  };
  const rows: Row[] = deps.store.stagesOf(run.id);
  if (rows.length === 0 && results) rows.push(...results.stages);
  if (!finished) {
    const asked = run.stages.length ? run.stages : deps.config.runner.stages;
    const have = new Set(rows.map((r) => r.name));
    for (const name of stageNames) {
      if (!asked.includes(name) || have.has(name)) continue;
      rows.push({ name, status: run.state === 'running' && run.currentStage === name ? 'running' : 'pending' });
    }
  }
  const order = (n: string) => stageNames.indexOf(n as (typeof stageNames)[number]);
  rows.sort((a, b) => order(a.name) - order(b.name));

  const stages = rows.map((s): CardStage => {
    const bad = s.status === 'fail' || s.status === 'error';
    const failingCheck = bad ? s.checks?.find((c) => c.status === 'fail' || c.status === 'error') : undefined;
    const why =
      s.reason ??
      (failingCheck ? `${failingCheck.name}${failingCheck.detail ? `: ${failingCheck.detail}` : ''}` : undefined);
    const showReason = bad || s.status === 'skip' || s.status === 'na';
    return {
      name: s.name,
      status: s.status,
      durationMs: showReason && !bad ? undefined : s.durationMs,
      advisory: s.advisory || undefined,
      code: bad ? (s.code ?? failingCheck?.code) : undefined,
      reason: showReason ? oneLine(withNaNote(s, mask(why))) : undefined,
    };
  });

  let problem: CardView['problem'];
  if (run.error) {
    const message = oneLine(mask(run.error.message)) ?? '';
    const said = stages.some((s) => s.code === run.error!.code && s.reason === message);
    if (!said) problem = { code: run.error.code, message };
  }
  return {
    runId: run.id,
    recipe: run.recipe,
    state: run.state,
    version: mask(results?.versions.head),
    ref: mask(run.ref) ?? run.ref,
    sha: run.sha ?? results?.headSha,
    pr: run.pr,
    level: run.level ?? results?.level,
    durationMs: runDuration(run, now),
    currentStage: run.currentStage,
    stages,
    problem,
    at: run.finishedAt ?? run.startedAt ?? run.createdAt,
  };
}

/** An na's reason after whether it counted for the level (first, so the card's cut never hides it). */
function withNaNote(stage: { status: string; naBy?: NaBy }, why: string | undefined): string | undefined {
  const note = naNote(stage);
  return note ? `${note}: ${why ?? 'not applicable'}` : why;
}

/** The first line, spaces collapsed, cut to REASON_CHARS with an ellipsis. */
function oneLine(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const line = (text.split('\n').find((l) => l.trim()) ?? '').replace(/\s+/g, ' ').trim();
  if (!line) return undefined;
  return line.length > REASON_CHARS ? `${line.slice(0, REASON_CHARS - 1).trimEnd()}…` : line;
}

// ---------------------------------------------------------------------------------------------
// The card

const VERDICT_WORDS: Partial<Record<RunRecord['state'], string>> = { passed: 'PASS', failed: 'FAIL', errored: 'ERROR' };

/** The card as one HTML document: inline styles, no script, nothing fetched, every value escaped. */
export function cardHtml(view: CardView): string {
  const t = tone(view.state);
  const word = VERDICT_WORDS[view.state] ?? view.state.toUpperCase();
  const going = view.state === 'running' || view.state === 'queued';
  const when =
    view.state === 'running'
      ? `running for ${formatDuration(view.durationMs) || '0 s'}${view.currentStage ? ` · ${view.currentStage}` : ''}`
      : view.state === 'queued'
        ? 'waiting for a slot'
        : view.durationMs !== undefined
          ? `finished in ${formatDuration(view.durationMs)}`
          : 'ended before it started';
  const at = view.sha ? markup`<span class="at"> @ </span>${shortSha(view.sha)}` : '';
  const tested = view.version
    ? markup`<span class="ver">${view.version}</span>`
    : markup`<span class="ver">${view.ref}${at}</span>`;
  const facts = [
    view.version ? markup`<span>ref <b class="mono">${view.ref}</b></span>` : '',
    view.version && view.sha ? markup`<span>commit <b class="mono">${shortSha(view.sha)}</b></span>` : '',
    view.pr !== undefined ? markup`<span>PR <b>#${view.pr}</b></span>` : '',
  ].filter(Boolean);
  const level = view.level;
  const segs = [1, 2, 3, 4, 5].map((n) => raw(level !== undefined && n <= level ? '<i class="on"></i>' : '<i></i>'));
  const levelWord = level === undefined ? 'L–' : `L${level}`;
  const meter = markup`<span class="cap">level</span><span class="meter">${segs}</span><b>${levelWord}</b>`;
  const rows = view.stages.length
    ? view.stages.map(stageRow)
    : markup`<div class="row empty">${going ? 'No stages yet.' : 'No stage ran.'}</div>`;
  const problemClass = `problem ${t === 'fail' ? 'fail' : t === 'error' ? 'error' : 'grey'}`;
  const problem = view.problem
    ? markup`<div class="${problemClass}"><b class="code">${view.problem.code}</b>${view.problem.message}</div>`
    : '';
  const recipeSize = view.recipe.length > 32 ? ' longer' : view.recipe.length > 22 ? ' long' : '';

  return markup`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${view.recipe} · cc-ci</title>
<style>${raw(CARD_STYLES)}</style></head>
<body><div class="${`card ${t}`}">
<div class="head">
  <div class="what">
    <div class="brand"><b>cc-ci</b> · Co-op Cloud recipe CI</div>
    <div class="${`recipe${recipeSize}`}">${view.recipe}</div>
    <div class="tested">${tested}</div>
    ${facts.length ? markup`<div class="facts">${facts}</div>` : ''}
  </div>
  <div class="side">
    <div class="${`verdict${word.length > 8 ? ' longer' : word.length > 5 ? ' long' : ''}`}">${word}</div>
    <div class="when">${when}</div>
    <div class="${`level${level === undefined ? ' none' : ''}`}" title="level">${meter}</div>
  </div>
</div>
<div class="stages">${rows}</div>
${problem}
<div class="foot"><b>cc-ci</b>${DOT}<span class="mono">${view.runId}</span>${DOT}${formatTime(view.at)}</div>
</div></body></html>
`.value;
}

function stageRow(s: CardStage): Html {
  const bad = s.status === 'fail' || s.status === 'error' ? 'bad' : '';
  const tag = s.advisory ? markup`<span class="tag">advisory</span>` : '';
  const code = s.code ? markup`<b class="code">${s.code}</b>` : '';
  return markup`<div class="${`row ${tone(s.status)}${s.advisory ? ' advisory' : ''}`}">
  <span class="name">${s.name}</span>
  <span class="status">${pill(s.status)}</span>
  <span class="${`reason ${bad}`}">${tag}${code}${s.reason ?? ''}</span>
  <span class="dur">${formatDuration(s.durationMs)}</span>
</div>`;
}

const DOT = raw('<span class="dot">·</span>');

// The dashboard's palette and pills (pages/html.ts), at the card's scale.
const CARD_STYLES = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1f2328;--muted:#656d76;--line:#d8dee4;--soft:#eef1f4;
--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--error:#bc4c00;--error-bg:#fff1e5;
--run:#0969da;--run-bg:#ddf4ff;--queue:#8250df;--queue-bg:#fbefff;--grey:#6e7781;--grey-bg:#eaeef2;
--mono:"DejaVu Sans Mono","Liberation Mono",ui-monospace,Menlo,Consolas,monospace}
*{box-sizing:border-box}
html,body{margin:0;width:1200px;height:630px;overflow:hidden;background:var(--card)}
body{color:var(--ink);font:20px/1.35 "Liberation Sans",Arial,Helvetica,"DejaVu Sans",sans-serif;
-webkit-font-smoothing:antialiased}
.mono{font-family:var(--mono)}
.card{--tone:var(--grey);--tone-bg:var(--grey-bg);width:1200px;height:630px;display:flex;flex-direction:column;
border-left:16px solid var(--tone);background:var(--card)}
.card.pass{--tone:var(--pass);--tone-bg:var(--pass-bg)}.card.fail{--tone:var(--fail);--tone-bg:var(--fail-bg)}
.card.error{--tone:var(--error);--tone-bg:var(--error-bg)}.card.running{--tone:var(--run);--tone-bg:var(--run-bg)}
.card.queued{--tone:var(--queue);--tone-bg:var(--queue-bg)}
.head{display:flex;gap:32px;align-items:flex-start;padding:28px 44px 0 40px;height:206px}
.what{flex:1;min-width:0}
.brand{color:var(--muted);font-size:18px;letter-spacing:.2px}.brand b{color:var(--ink)}
.recipe{font-size:56px;font-weight:700;line-height:1.15;margin-top:6px;white-space:nowrap;overflow:hidden;
text-overflow:ellipsis;letter-spacing:-.5px}
.recipe.long{font-size:44px;line-height:64px}.recipe.longer{font-size:34px;line-height:64px}
.tested{margin-top:6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ver{font-family:var(--mono);font-size:26px;font-weight:700;color:var(--ink)}
.ver .at{color:var(--muted);font-weight:400}
.facts{display:flex;gap:26px;margin-top:8px;color:var(--muted);font-size:19px;white-space:nowrap;overflow:hidden}
.facts b{color:var(--ink);font-weight:700}.facts .mono{font-size:18px}
.side{flex:none;width:300px;display:flex;flex-direction:column;align-items:stretch;gap:10px}
.verdict{background:var(--tone);color:#fff;border-radius:14px;text-align:center;font-weight:700;letter-spacing:2px;
font-size:52px;line-height:96px;height:96px;white-space:nowrap;overflow:hidden}
.verdict.long{font-size:42px;letter-spacing:1px}.verdict.longer{font-size:34px;letter-spacing:1px}
.when{color:var(--muted);text-align:center;font-size:18px;height:24px;white-space:nowrap;overflow:hidden;
text-overflow:ellipsis}
.level{display:flex;align-items:center;justify-content:center;gap:10px}
.level .cap{color:var(--muted);font-size:14px;font-weight:700;text-transform:uppercase;letter-spacing:.6px}
.meter{display:flex;gap:5px}
.meter i{display:block;width:32px;height:22px;border-radius:4px;background:var(--line)}
.meter i.on{background:var(--pass)}
.level b{font-size:28px;font-weight:700;min-width:42px}.level.none b{color:var(--muted)}
.stages{margin:0 44px 0 40px;border:1px solid var(--line);border-radius:12px;overflow:hidden}
.row{display:flex;align-items:center;gap:18px;height:57px;padding:0 22px;border-bottom:1px solid var(--soft)}
.row:last-child{border-bottom:0}
.row.fail{background:var(--fail-bg)}.row.error{background:var(--error-bg)}.row.fail.advisory{background:#fff8c5}
.row.empty{color:var(--muted);justify-content:center}
.name{flex:none;width:160px;font-weight:700;font-size:22px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.status{flex:none;width:112px}
.reason{flex:1;min-width:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:var(--muted);font-size:18px}
.reason.bad{color:var(--ink)}
.code{font-family:var(--mono);font-size:16px;font-weight:700;margin-right:10px}
.tag{display:inline-block;font-size:13px;font-weight:700;text-transform:uppercase;letter-spacing:.4px;
color:var(--muted);background:var(--soft);border:1px solid var(--line);border-radius:999px;padding:0 8px;
margin-right:10px;vertical-align:2px;line-height:20px}
.dur{flex:none;width:124px;text-align:right;color:var(--muted);font-size:18px;white-space:nowrap}
.pill{display:inline-block;padding:2px 12px;border-radius:999px;font-size:15px;font-weight:700;line-height:22px;
text-transform:uppercase;letter-spacing:.5px;white-space:nowrap;border:1px solid transparent}
.pill.pass{background:var(--pass);color:#fff}.pill.fail{background:var(--fail);color:#fff}
.pill.error{background:var(--error);color:#fff}.pill.running{background:var(--run);color:#fff}
.pill.queued{background:var(--queue-bg);color:var(--queue);border-color:#d8b9ff}
.pill.grey{background:var(--grey);color:#fff}
.pill.quiet{background:var(--soft);color:var(--muted);border-color:var(--line)}
.problem{margin:12px 44px 0 40px;padding:9px 16px;border-radius:10px;font-size:18px;white-space:nowrap;overflow:hidden;
text-overflow:ellipsis;background:var(--grey-bg);border:1px solid var(--line)}
.problem.fail{background:var(--fail-bg);border-color:#ffcecb}
.problem.error{background:var(--error-bg);border-color:#ffd8b5}
.foot{margin:auto 44px 0 40px;display:flex;align-items:center;gap:10px;height:58px;border-top:1px solid var(--soft);
color:var(--muted);font-size:17px;white-space:nowrap;overflow:hidden}
.foot b{color:var(--ink)}.foot .mono{font-size:16px;color:var(--ink)}
`;
