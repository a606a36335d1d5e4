// Follows the demo's runs on the server to their ends: one line when a run is queued, when each
// stage starts and ends, and when the run ends.
import type { RunRecord } from '../model/run.js';
import { isTerminal } from '../model/run.js';
import type { RunControl } from '../queue/run-control.js';
import type { RunEventLine } from '../model/run-events.js';

/** A run the demo waits for: named for the person ("PR #1", "main"), found by `matches`. */
export interface Target {
  label: string;
  /** The pull request the run tests, if any. */
  pr?: number;
  matches: (run: RunRecord) => boolean;
}

export interface FollowedRun {
  target: Target;
  run: RunRecord;
  ended?: boolean;
}

export interface FollowOptions {
  signal: AbortSignal;
  /** A target with no run by then fails the wait (the poller reads comments each second). */
  startWithinMs: number;
  endWithinMs: number;
  say: (line: string) => void;
  /** Each stack a run deploys, to check the swarm holds nothing of it afterwards. */
  onStack: (stack: string) => void;
}

export interface Following {
  /** Resolves once every target's run has ended; rejects on a stop or a deadline. */
  done: Promise<FollowedRun[]>;
  add(target: Target): void;
}

/** Starts listening before anything is asked, so no change is missed; `add` the targets as they are asked for. */
export function followRuns(runs: RunControl, opts: FollowOptions): Following {
  const targets: Target[] = [];
  const followed = new Map<Target, FollowedRun>();
  const started = Date.now();
  let settle: (err?: Error) => void = () => undefined;
  const done = new Promise<FollowedRun[]>((resolve, reject) => {
    settle = (err) => {
      stopListening();
      clearInterval(timer);
      opts.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(targets.map((t) => followed.get(t)!));
    };
  });
  const onAbort = () => settle(new Error('stopped while following the runs'));
  const stopListening = runs.onChange(({ run, event }) => {
    const target =
      targets.find((t) => followed.get(t)?.run.id === run.id) ??
      targets.find((t) => !followed.has(t) && t.matches(run));
    if (!target) return;
    let f = followed.get(target);
    if (!f) {
      f = { target, run };
      followed.set(target, f);
      opts.say(`${target.label}: run ${run.id} ${run.state}`);
    }
    f.run = run;
    if (event?.type === 'app-claimed') opts.onStack(event.stack);
    if (event) describe(target.label, event, opts.say);
    if (isTerminal(run) && !f.ended) {
      f.ended = true;
      opts.say(`${target.label}: run ${run.id} ${run.state}${run.level !== undefined ? `, level L${run.level}` : ''}`);
    }
    if (targets.length > 0 && targets.every((t) => followed.get(t)?.ended)) settle();
  });
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setInterval(() => {
    const waiting = targets.filter((t) => !followed.has(t));
    if (waiting.length > 0 && Date.now() - started > opts.startWithinMs) {
      settle(
        new Error(
          `no run started within ${opts.startWithinMs / 1000} s for ${waiting.map((t) => t.label).join(', ')}: ` +
            'see serve.log for what the forge poller did',
        ),
      );
    } else if (Date.now() - started > opts.endWithinMs) {
      settle(
        new Error(`the runs did not end within ${opts.endWithinMs / 60_000} min; see the run pages and serve.log`),
      );
    }
  }, 500);
  return { done, add: (t) => targets.push(t) };
}

function describe(label: string, e: RunEventLine, say: (line: string) => void): void {
  if (e.type === 'stage-started') say(`${label}: ${e.stage} …`);
  else if (e.type === 'stage-finished') {
    const took = e.result.durationMs !== undefined ? ` in ${(e.result.durationMs / 1000).toFixed(1)} s` : '';
    const why = e.result.status === 'pass' ? '' : ` — ${e.result.reason ?? ''}`;
    say(`${label}: ${e.stage} ${e.result.status}${took}${why}`);
  }
}
