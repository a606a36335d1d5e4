// Every request the stand-in answered (not part of Gitea): tests read it to see what a client
// called, as whom, and what it got.

export interface LoggedRequest {
  seq: number;
  at: string;
  kind: 'api' | 'git' | 'control' | 'web' | 'other';
  method: string;
  /** Path and query as requested. */
  path: string;
  /** 0 when the client went away before an answer. */
  status: number;
  /** Login of the authenticated user, or null. */
  user: string | null;
  ms: number;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;
  constructor(private readonly max = 10_000) {}

  add(entry: Omit<LoggedRequest, 'seq'>): void {
    this.entries.push({ seq: ++this.seq, ...entry });
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
  }

  list(filter: { kind?: LoggedRequest['kind'] } = {}): LoggedRequest[] {
    return this.entries.filter((e) => !filter.kind || e.kind === filter.kind);
  }

  clear(): void {
    this.entries = [];
  }
}
