// Reading a run's log as people read it: pino JSON lines (already masked) become
// `HH:MM:SS LEVEL msg key=value…` (UTC), lines that are not JSON stay as they are, and
// everything passes the secret registry once more. LogReader follows a growing file in big
// chunks, handing out complete lines; readLogTail gives a page the last part of a log.
import { isAscii } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import type { SecretRegistry } from '../secrets/secret-registry.js';

/** Bytes read at once. */
const CHUNK = 1 << 20;
/** A "line" longer than this without a newline is passed on in pieces. */
const MAX_LINE = 4 << 20;

// ---------------------------------------------------------------------------------------------
// Formatting

// Each with the space that follows it.
const LEVELS: Record<number, string> = {
  10: 'TRACE ',
  20: 'DEBUG ',
  30: 'INFO  ',
  40: 'WARN  ',
  50: 'ERROR ',
  60: 'FATAL ',
};
const PLAIN_VALUE = /^[^\s"=]+$/;
const NEWLINE = /\r\n|\r|\n/g;

/**
 * Turns pino JSON lines into human lines; remembers the last second it formatted. Runs for every
 * line of a busy log, so: one JSON.parse, plain concatenation, no lookups, and no scan of the
 * line it builds (whether it holds a line break is known from its msg).
 */
export class LogFormatter {
  private second = NaN;
  private clock = '';
  /** Whether the last line given out holds a line break (only its msg, or a non-JSON line, can). */
  multiline = false;

  line(text: string, prefix = ''): string {
    this.multiline = false;
    // Not an object: kept as it is (and JSON.parse is not tried).
    if (text.charCodeAt(0) !== 123 /* { */) return this.asIs(text, prefix);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.asIs(text, prefix);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return this.asIs(text, prefix);
    const rec = parsed as Record<string, unknown>;
    const msg = rec.msg;
    let shown: string;
    if (typeof msg === 'string') {
      shown = msg;
      this.multiline = msg.indexOf('\n') >= 0 || msg.indexOf('\r') >= 0;
    } else {
      shown = msg === undefined ? '' : JSON.stringify(msg);
    }
    let out = prefix + this.time(rec.time) + levelName(rec.level) + shown;
    for (const key in rec) {
      if (key === 'level' || key === 'time' || key === 'msg' || key === 'pid' || key === 'hostname') continue;
      const value = rec[key];
      // Other values never hold a raw line break: plain ones have no white space, the rest are JSON.
      out += ' ' + key + '=' + (typeof value === 'string' && PLAIN_VALUE.test(value) ? value : JSON.stringify(value));
    }
    return out;
  }

  private asIs(text: string, prefix: string): string {
    this.multiline = text.indexOf('\r') >= 0;
    return prefix + text;
  }

  private time(t: unknown): string {
    if (typeof t !== 'number' || !Number.isFinite(t)) return '--:--:-- ';
    const second = Math.floor(t / 1000);
    if (second !== this.second) {
      this.second = second;
      this.clock = new Date(second * 1000).toISOString().slice(11, 19) + ' ';
    }
    return this.clock;
  }
}

function levelName(level: unknown): string {
  if (typeof level === 'number') return LEVELS[level] ?? String(level).padEnd(5) + ' ';
  if (typeof level === 'string') return level.toUpperCase().padEnd(5) + ' ';
  return 'INFO  ';
}

/**
 * Masks complete lines (`raw` ends with a newline, except for a final flush) and formats them
 * for plain text or for SSE (`data: <line>\n\n` each; a line holding line breaks becomes several
 * data fields), straight into bytes, followed by `suffix`.
 *
 * Masking happens on the lines as read: inside JSON a secret appears JSON-escaped, a form the
 * registry masks too. One pass over the batch says whether any secret is in it (no secret spans
 * lines); only then is each line masked on its own, because the masked batch is a rope in V8 and
 * slicing and parsing lines out of it costs twice as much as out of the flat batch. Each line is
 * encoded straight into one buffer: building the formatted batch as a string would have V8 walk
 * a rope of many thousand pieces to encode it.
 */
export function formatLogBytes(
  raw: string,
  fmt: LogFormatter,
  mode: 'text' | 'sse',
  secrets: SecretRegistry,
  suffix = '',
): Buffer {
  const dirty = secrets.redact(raw) !== raw;
  const end = raw.length;
  let out = Buffer.allocUnsafe(end + (end >> 2) + suffix.length + 1024);
  let at = 0;
  const put = (s: string) => {
    // A UTF-16 unit never takes more than 3 bytes of UTF-8.
    if (at + s.length * 3 > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + s.length * 3 + 1024));
      out.copy(bigger, 0, 0, at);
      out = bigger;
    }
    at += out.write(s, at);
  };
  const sse = mode === 'sse';
  let start = 0;
  while (start < end) {
    let nl = raw.indexOf('\n', start);
    if (nl < 0) nl = end;
    let stop = nl;
    if (stop > start && raw.charCodeAt(stop - 1) === 13 /* \r */) stop--;
    const text = dirty ? secrets.redact(raw.slice(start, stop)) : raw.slice(start, stop);
    if (sse) {
      const line = fmt.line(text, 'data: ');
      put((fmt.multiline ? line.replace(NEWLINE, '\ndata: ') : line) + '\n\n');
    } else {
      put(fmt.line(text) + '\n');
    }
    start = nl + 1;
  }
  if (suffix) put(suffix);
  return out.subarray(0, at);
}

/** formatLogBytes as a string (pages, tests). */
export function formatLog(raw: string, fmt: LogFormatter, mode: 'text' | 'sse', secrets: SecretRegistry): string {
  return formatLogBytes(raw, fmt, mode, secrets).toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Reading

/** UTF-8, decoded the quick way when it is all ASCII (as pino's escaped JSON mostly is). */
function decode(buf: Buffer): string {
  return isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8');
}

/** Reads a growing file from an offset in big chunks, handing out complete lines. */
export class LogReader {
  private fh: FileHandle | undefined;
  private pos: number;
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(
    private readonly file: string,
    start = 0,
  ) {
    this.pos = start;
  }

  /** The byte offset up to which the file has been read (a torn line held back included). */
  get position(): number {
    return this.pos;
  }

  /** The byte offset just after the last line handed out. */
  get offset(): number {
    return this.pos - this.pending.length;
  }

  /**
   * What is there now, up to one chunk and never past `limit`: complete lines (maybe none); `eof`
   * when nothing more is there yet (or the limit is reached). A buffer is allocated only when
   * fstat shows bytes to read, so asking a quiet file costs one fstat.
   */
  async read(limit = Infinity): Promise<{ text: string; eof: boolean }> {
    if (this.closed) return { text: '', eof: true };
    if (!this.fh) {
      try {
        this.fh = await open(this.file, 'r');
      } catch {
        return { text: '', eof: true }; // not written yet
      }
      if (this.closed) {
        await this.close();
        return { text: '', eof: true };
      }
    }
    const end = Math.min((await this.fh.stat()).size, limit);
    const want = Math.min(CHUNK, end - this.pos);
    if (want <= 0) return { text: '', eof: true };
    // The torn line of the last read goes first, then the new bytes right after it.
    const held = this.pending.length;
    const chunk = Buffer.allocUnsafe(held + want);
    this.pending.copy(chunk, 0);
    const { bytesRead } = await this.fh.read(chunk, held, want, this.pos);
    if (bytesRead === 0) return { text: '', eof: true };
    this.pos += bytesRead;
    const buf = chunk.subarray(0, held + bytesRead);
    const nl = buf.lastIndexOf(10);
    let text = '';
    if (nl < 0) {
      if (buf.length >= MAX_LINE) {
        text = decode(buf) + '\n';
        this.pending = Buffer.alloc(0);
      } else this.pending = Buffer.from(buf);
    } else {
      text = decode(buf.subarray(0, nl + 1));
      // A copy, so the big chunk is not kept alive for a few bytes.
      this.pending = nl + 1 < buf.length ? Buffer.from(buf.subarray(nl + 1)) : Buffer.alloc(0);
    }
    return { text, eof: this.pos >= end };
  }

  /** A torn last line, at the very end. */
  rest(): string {
    const text = this.pending.length ? this.pending.toString('utf8') : '';
    this.pending = Buffer.alloc(0);
    return text;
  }

  async close(): Promise<void> {
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }
}

/**
 * The last `maxBytes` of a log, formatted, for a page: its lines, the offset right after the
 * last complete line (where a live stream goes on), and how many bytes came before.
 */
export async function readLogTail(
  file: string,
  maxBytes: number,
  secrets: SecretRegistry,
): Promise<{ exists: boolean; lines: string[]; offset: number; skipped: number }> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch {
    return { exists: false, lines: [], offset: 0, skipped: 0 };
  }
  try {
    const size = (await fh.stat()).size;
    let start = Math.max(0, size - maxBytes);
    const buf = Buffer.allocUnsafe(size - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    let data = buf.subarray(0, bytesRead);
    if (start > 0) {
      // Begin at a whole line.
      const first = data.indexOf(10);
      data = first < 0 ? data.subarray(data.length) : data.subarray(first + 1);
      start = start + bytesRead - data.length;
    }
    const last = data.lastIndexOf(10);
    const complete = last < 0 ? data.subarray(0, 0) : data.subarray(0, last + 1);
    const text = formatLog(complete.toString('utf8'), new LogFormatter(), 'text', secrets);
    const lines = text ? text.slice(0, -1).split('\n') : [];
    return { exists: true, lines, offset: start + complete.length, skipped: start };
  } finally {
    await fh.close().catch(() => undefined);
  }
}
