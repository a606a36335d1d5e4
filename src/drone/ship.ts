// The shipper of `cc-ci drone step` (docs/drone-ingest.md): while the run goes it sends the run's
// events file and run.log to serve as they grow; once the run has ended, what is left of them and
// then every other artifact (results.json last). The run folder on the runner is the spool: a
// chunk serve did not take is sent again from the offset serve says it holds, so a serve that is
// down or restarting, or an answer lost on the way, loses and duplicates nothing. After the run
// ended it keeps trying, with a growing pause, for a limited time, then says what is undelivered.
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { backoffDelay } from '../forge/backoff.js';
import { isArtifactName, type RunFolder, type StopReason } from '../model/run-folder.js';
import type { IngestStream } from './ingest-credential.js';
import { postChunk, type IngestTarget } from './ingest-http.js';

export const CHUNK_BYTES = 256 * 1024;
/** How long the step keeps trying to deliver after the run ended (then it exits 3). */
export const DELIVER_FOR_MS = 30 * 60_000;
const POLL_MS = 500;
const MIN_RETRY_MS = 250;

export interface ShipperOptions {
  folder: RunFolder;
  target: IngestTarget;
  /** A line for the step's output (Drone's build log). */
  say: (line: string) => void;
  chunkBytes?: number;
  pollMs?: number;
  deliverForMs?: number;
  /** The pause before retry `n` (0-based). */
  retryDelay?: (n: number) => number;
  /** serve asked for the run to be stopped (told once). */
  onStop?: (reason: StopReason) => void;
}

export type ShipOutcome = { delivered: true } | { delivered: false; undelivered: string[]; why: string };

export interface Shipper {
  /** The run has ended: deliver the rest, then resolve with what was and was not delivered. */
  finish(): Promise<ShipOutcome>;
}

type Sent = { kind: 'done' } | { kind: 'retry'; why: string } | { kind: 'refused'; why: string };

export function startShipping(opts: ShipperOptions): Shipper {
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const retryDelay = opts.retryDelay ?? ((n: number) => Math.max(MIN_RETRY_MS, backoffDelay(n)));
  /** The offset serve holds of each stream, as last heard. */
  const held = new Map<IngestStream, number>();
  const refused = new Map<IngestStream, string>();
  let ended = false;
  let wake: (() => void) | undefined;
  let failing: string | undefined;
  let stopTold = false;

  const pathOf = (stream: IngestStream) =>
    stream === 'events' ? opts.folder.events : join(opts.folder.artifacts, stream.slice('artifacts/'.length));

  const noteFailure = (why: string) => {
    if (failing === undefined)
      opts.say(`serve is not taking the run's files (${why}); they stay in ${opts.folder.dir} and are sent again`);
    failing = why;
  };
  const noteSuccess = () => {
    if (failing !== undefined) opts.say("serve takes the run's files again");
    failing = undefined;
  };

  /** Sends what serve does not hold yet of one file. */
  async function ship(stream: IngestStream): Promise<Sent> {
    const why = refused.get(stream);
    if (why !== undefined) return { kind: 'refused', why };
    const path = pathOf(stream);
    let size = sizeOf(path);
    if (size === undefined) return { kind: 'done' };
    const known = held.get(stream);
    // Nothing new. (An empty file is still sent once: serve creates it and answers its offset.)
    if (known !== undefined && known >= size) return { kind: 'done' };
    let at = known ?? 0;
    do {
      const chunk = readChunk(path, at, Math.min(chunkBytes, size - at));
      const answer = await postChunk(opts.target, stream, at, chunk);
      if (answer.kind === 'retry') return answer;
      if (answer.kind === 'refused') {
        refused.set(stream, answer.why);
        return answer;
      }
      if (answer.stop && !stopTold) {
        stopTold = true;
        opts.onStop?.(answer.stop);
      }
      size = sizeOf(path) ?? size;
      if (answer.offset > size) {
        const mismatch = `serve holds ${answer.offset} bytes of ${stream}, more than the runner's ${size}`;
        refused.set(stream, mismatch);
        return { kind: 'refused', why: mismatch };
      }
      at = answer.offset;
      held.set(stream, at);
    } while (at < size);
    return { kind: 'done' };
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** While the run goes: its events and log, as they grow. */
  const live: IngestStream[] = ['events', 'artifacts/run.log'];
  const following = (async () => {
    let failures = 0;
    while (!ended) {
      let retry: string | undefined;
      for (const stream of live) {
        const sent = await ship(stream);
        if (sent.kind === 'retry') retry = sent.why;
      }
      if (retry === undefined) {
        noteSuccess();
        failures = 0;
      } else noteFailure(retry);
      if (!ended) await pause(retry === undefined ? (opts.pollMs ?? POLL_MS) : retryDelay(failures++));
    }
  })();

  /** Once the run has ended: everything, run.log and the events first, results.json last. */
  const everything = (): IngestStream[] => {
    const names = listArtifacts(opts.folder.artifacts).filter((n) => n !== 'run.log' && n !== 'results.json');
    const last = sizeOf(opts.folder.results) !== undefined ? ['results.json'] : [];
    return [
      ...live,
      ...names.map((n): IngestStream => `artifacts/${n}`),
      ...last.map((n): IngestStream => `artifacts/${n}`),
    ];
  };

  return {
    async finish() {
      ended = true;
      wake?.();
      await following;
      const deadline = Date.now() + (opts.deliverForMs ?? DELIVER_FOR_MS);
      for (let n = 0; ; n++) {
        let retry: string | undefined;
        for (const stream of everything()) {
          const sent = await ship(stream);
          if (sent.kind === 'retry') {
            retry = sent.why;
            break;
          }
        }
        const streams = everything();
        const undelivered = streams.filter((s) => refused.has(s) || (held.get(s) ?? -1) < (sizeOf(pathOf(s)) ?? 0));
        if (retry === undefined) {
          noteSuccess();
          if (undelivered.length === 0) return { delivered: true };
          return { delivered: false, undelivered, why: undelivered.map((s) => refused.get(s) ?? s).join('; ') };
        }
        noteFailure(retry);
        const delay = retryDelay(n);
        if (Date.now() + delay > deadline) return { delivered: false, undelivered, why: retry };
        await pause(delay);
      }
    },
  };
}

function sizeOf(path: string): number | undefined {
  try {
    const info = lstatSync(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

function readChunk(path: string, at: number, length: number): Buffer {
  const buf = Buffer.alloc(Math.max(0, length));
  if (length <= 0) return buf;
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, buf, 0, length, at);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The run's artifacts: regular files with plain names (a link is never sent). */
function listArtifacts(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && isArtifactName(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
