// The live logs (SSE) of queued and running runs, bounded: at most dashboard.maxLiveLogs streams
// at once and dashboard.maxLiveLogsPerClient per client address, and one tail per run, however
// many people watch it. The tail follows the file (fs.watch, with a slow poll as a backstop for a
// missed event or a file that does not exist yet), reads only when fstat shows it grew, formats
// each batch once and writes the same bytes to every subscriber that is caught up.
//
// A subscriber that starts behind the tail (from the beginning, or from its Last-Event-ID) first
// catches up with a reader of its own, up to where the tail is, then joins it; one whose socket
// falls behind by more than HIGH_WATER goes back to catching up on its own once it drains, so a
// slow client never holds up the others nor makes the server buffer for it. Once the run reaches
// its final state, each stream gets the rest of the file and `event: end`.
import { watch, type FSWatcher } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log/create-logger.js';
import { isTerminal } from '../model/run.js';
import type { RunControl } from '../queue/run-control.js';
import type { RunStore } from '../queue/store.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { formatLogBytes, LogFormatter, LogReader } from './log-read.js';

export interface LiveLogTiming {
  /** The backstop poll of a tail (fs.watch does the rest). */
  pollMs: number;
  /** The backstop look at the run's state, for a final change that was missed. */
  stateCheckMs: number;
  heartbeatMs: number;
}

export const LIVE_LOG_TIMING: LiveLogTiming = { pollMs: 1500, stateCheckMs: 2000, heartbeatMs: 15_000 };

/** Unsent bytes a socket may hold before its subscriber catches up on its own. */
const HIGH_WATER = 4 << 20;

/** What the live logs need of the server's deps (server-deps.ts). */
interface Deps {
  config: Config;
  runs: RunControl;
  store: RunStore;
  secrets: SecretRegistry;
  log: Logger;
}

/** Why a new stream is refused: every slot is taken, or this client's are. */
export type LiveLogRefusal = 'full' | 'client';

interface Subscriber {
  res: ServerResponse;
  /** The byte offset of the log this subscriber has been sent up to. */
  sent: number;
  fmt: LogFormatter;
  closed: boolean;
}

export class LiveLogs {
  private open = 0;
  private readonly perClient = new Map<string, number>();
  private readonly tails = new Map<string, Tail>();

  constructor(
    private readonly deps: Deps,
    private readonly timing: LiveLogTiming = LIVE_LOG_TIMING,
  ) {}

  /** The streams open now. */
  get size(): number {
    return this.open;
  }

  /** Whether one more stream from `address` would pass a cap (undefined: it would not). */
  refusal(address: string): LiveLogRefusal | undefined {
    const { maxLiveLogs, maxLiveLogsPerClient } = this.deps.config.dashboard;
    if (this.open >= maxLiveLogs) return 'full';
    if ((this.perClient.get(address) ?? 0) >= maxLiveLogsPerClient) return 'client';
    return undefined;
  }

  /** Streams run `id`'s log from byte `start` on `res` (already hijacked); its slot is given back when `res` closes. */
  stream(res: ServerResponse, address: string, id: string, file: string, start: number): void {
    this.open += 1;
    this.perClient.set(address, (this.perClient.get(address) ?? 0) + 1);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 2000\n\n');
    const sub: Subscriber = { res, sent: start, fmt: new LogFormatter(), closed: false };
    let tail = this.tails.get(id);
    if (!tail) {
      tail = new Tail(this.deps, this.timing, id, file, start, () => this.tails.delete(id));
      this.tails.set(id, tail);
    }
    const joined = tail;
    res.on('close', () => {
      sub.closed = true;
      this.open -= 1;
      const left = (this.perClient.get(address) ?? 1) - 1;
      if (left > 0) this.perClient.set(address, left);
      else this.perClient.delete(address);
      joined.leave(sub);
    });
    joined.add(sub);
  }

  /** Ends every stream (the server is stopping; an EventSource reconnects by itself). */
  close(): void {
    for (const tail of [...this.tails.values()]) tail.endAll();
  }
}

/** One run's log followed once for all its subscribers. */
class Tail {
  private readonly reader: LogReader;
  private readonly fmt = new LogFormatter();
  /** Caught up: each new batch goes to them. */
  private readonly live = new Set<Subscriber>();
  /** Still reading on their own up to the tail. */
  private readonly catchingUp = new Set<Subscriber>();
  private finalState: string | undefined;
  /** The run has ended and the tail has sent its last batch: catching up now goes to the end. */
  private ended = false;
  private disposed = false;
  private busy = false;
  private again = false;
  private watcher: FSWatcher | undefined;
  private readonly timers: NodeJS.Timeout[];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: Deps,
    private readonly timing: LiveLogTiming,
    private readonly id: string,
    private readonly file: string,
    start: number,
    private readonly onDispose: () => void,
  ) {
    this.reader = new LogReader(file, start);
    this.unsubscribe = deps.runs.onChange((change) => {
      if (change.run.id === id && isTerminal(change.run)) this.finish(change.run.state);
    });
    this.timers = [
      setInterval(() => {
        this.startWatching();
        this.pump();
      }, timing.pollMs),
      setInterval(() => {
        const now = deps.store.getRun(id);
        if (now && isTerminal(now)) this.finish(now.state);
      }, timing.stateCheckMs),
      setInterval(() => this.heartbeat(), timing.heartbeatMs),
    ];
    this.startWatching();
  }

  /** The byte offset the tail has handed out up to (always the end of a line). */
  private get offset(): number {
    return this.reader.offset;
  }

  add(sub: Subscriber): void {
    const run = this.deps.store.getRun(this.id);
    if (sub.sent === this.offset && !this.ended) {
      this.live.add(sub);
      this.pump();
    } else this.catchUp(sub);
    // A run that ended before anyone subscribed to its changes.
    if (run && isTerminal(run)) this.finish(run.state);
  }

  leave(sub: Subscriber): void {
    this.live.delete(sub);
    this.catchingUp.delete(sub);
    if (this.live.size === 0 && this.catchingUp.size === 0) this.dispose();
  }

  endAll(): void {
    for (const sub of [...this.live, ...this.catchingUp]) sub.res.end();
    this.dispose();
  }

  private finish(state: string): void {
    if (this.finalState) return;
    this.finalState = state;
    this.pump();
  }

  private startWatching(): void {
    if (this.watcher || this.disposed) return;
    try {
      this.watcher = watch(this.file, () => this.pump());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      /* not there yet: the poll tries again */
    }
  }

  private heartbeat(): void {
    for (const sub of this.live) if (sub.res.writableLength === 0) sub.res.write(': keep-alive\n\n');
  }

  /** Reads what is new, once, for every caught-up subscriber. */
  private pump(): void {
    if (this.disposed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void this.drainFile()
      .catch((err: unknown) => {
        if (this.disposed) return;
        this.deps.log.warn({ runId: this.id, err }, `live log of run ${this.id} broke`);
        for (const sub of [...this.live, ...this.catchingUp]) sub.res.destroy();
        this.dispose();
      })
      .finally(() => {
        this.busy = false;
      });
  }

  private async drainFile(): Promise<void> {
    do {
      this.again = false;
      // Nobody caught up: nothing to read for (those catching up read on their own).
      while (this.live.size > 0 && !this.disposed) {
        const from = this.offset;
        const { text, eof } = await this.reader.read();
        if (text) this.fanOut(from, text);
        if (eof) break;
      }
      if (this.finalState && !this.disposed) {
        const rest = this.live.size > 0 ? this.reader.rest() : '';
        const end = formatLogBytes(
          rest,
          this.fmt,
          'sse',
          this.deps.secrets,
          `event: end\ndata: ${this.finalState}\n\n`,
        );
        this.ended = true;
        for (const sub of this.live) sub.res.end(end);
        this.live.clear();
        // Those still catching up read to the end of the file themselves.
        if (this.catchingUp.size === 0) this.dispose();
        return;
      }
    } while (this.again && !this.disposed);
  }

  /** One batch (the bytes from `from` to the tail's offset), formatted once, to every caught-up subscriber. */
  private fanOut(from: number, text: string): void {
    const to = this.offset;
    let shared: Buffer | undefined;
    for (const sub of [...this.live]) {
      if (sub.sent >= to) continue; // asked to start further on
      let bytes: Buffer;
      if (sub.sent === from) {
        shared ??= formatLogBytes(text, this.fmt, 'sse', this.deps.secrets, `id: ${to}\n\n`);
        bytes = shared;
      } else {
        // Started inside this batch: only its part from there.
        const own = Buffer.from(text, 'utf8')
          .subarray(sub.sent - from)
          .toString('utf8');
        bytes = formatLogBytes(own, sub.fmt, 'sse', this.deps.secrets, `id: ${to}\n\n`);
      }
      sub.sent = to;
      sub.res.write(bytes);
      if (sub.res.writableLength > HIGH_WATER) {
        this.live.delete(sub);
        this.catchingUp.add(sub);
        sub.res.once('drain', () => this.catchUp(sub));
      }
    }
  }

  /** Reads for one subscriber on its own, up to the tail (then joins it) or, once the run has ended, to the end. */
  private catchUp(sub: Subscriber): void {
    this.catchingUp.add(sub);
    const reader = new LogReader(this.file, sub.sent);
    const run = async () => {
      while (!sub.closed && !sub.res.writableEnded) {
        if (!this.ended && reader.position >= this.offset) {
          // Level with the tail (a start inside a line leaves that piece of it, sent as it is).
          const piece = reader.rest();
          if (piece) await written(sub.res, formatLogBytes(piece, sub.fmt, 'sse', this.deps.secrets));
          sub.sent = Math.max(sub.sent, this.offset);
          this.catchingUp.delete(sub);
          this.live.add(sub);
          this.pump();
          return;
        }
        const before = reader.position;
        const { text, eof } = await reader.read(this.ended ? Infinity : this.offset);
        if (text) {
          sub.sent = reader.offset;
          await written(sub.res, formatLogBytes(text, sub.fmt, 'sse', this.deps.secrets, `id: ${reader.offset}\n\n`));
        }
        if (eof && this.ended) {
          const end = `event: end\ndata: ${this.finalState}\n\n`;
          sub.res.end(formatLogBytes(reader.rest(), sub.fmt, 'sse', this.deps.secrets, end));
          this.leave(sub);
          return;
        }
        // The file is shorter than the tail has read (it was replaced): wait instead of spinning.
        if (eof && reader.position === before) await new Promise((r) => setTimeout(r, this.timing.pollMs));
      }
    };
    run()
      .catch((err: unknown) => {
        if (!sub.closed) this.deps.log.warn({ runId: this.id, err }, `live log of run ${this.id} broke`);
        sub.res.destroy();
      })
      .finally(() => void reader.close());
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    for (const timer of this.timers) clearInterval(timer);
    this.watcher?.close();
    void this.reader.close();
    this.onDispose();
  }
}

/** Writes and, when the socket is full, waits until it drains (or closes). */
function written(res: ServerResponse, bytes: Buffer): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  if (res.write(bytes)) return Promise.resolve();
  return new Promise<void>((done) => {
    const finish = () => {
      res.off('drain', finish);
      res.off('close', finish);
      done();
    };
    res.on('drain', finish);
    res.on('close', finish);
  });
}
