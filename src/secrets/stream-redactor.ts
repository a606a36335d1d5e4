// Masks secrets in a stream of text chunks, including a secret split across two chunks:
// text that might be the start of a secret is held back until the next chunk decides it.
import type { SecretRegistry } from './secret-registry.js';

// A line longer than this is let out in pieces rather than held whole.
const MAX_HOLD = 64 * 1024;

export class StreamRedactor {
  private pending = '';

  constructor(private readonly secrets: SecretRegistry) {}

  /** Takes the next chunk; returns the redacted text that is safe to emit now. */
  push(chunk: string): string {
    this.pending += chunk;
    const lastNewline = this.pending.lastIndexOf('\n');
    // Secrets never span a newline (multi-line values are registered line by line), so
    // everything up to the last newline can be decided now.
    let cut = lastNewline + 1;
    if (this.pending.length - cut > MAX_HOLD) cut = this.safeCut();
    const ready = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    return this.secrets.redact(ready);
  }

  /** The end of the stream: everything left is emitted. */
  end(): string {
    const rest = this.secrets.redact(this.pending);
    this.pending = '';
    return rest;
  }

  // The furthest point that neither splits a complete match nor lets out the start of one.
  private safeCut(): number {
    let cut = this.secrets.pendingStart(this.pending);
    for (const [start, end] of this.secrets.matches(this.pending)) {
      if (start < cut && cut < end) cut = start;
    }
    return cut;
  }
}
