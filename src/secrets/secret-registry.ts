// One registry of secret values for a process. Everything cc-ci prints or stores goes through
// `redact`, which masks each value and the forms it commonly takes on the way out
// (base64, JSON-escaped, URL-encoded), as Renovate's sanitizer does.

export const MASK = '***';

// Shorter values would mask ordinary words; generated and configured secrets are far longer.
const MIN_SECRET_LENGTH = 4;

export class SecretRegistry {
  private readonly variants = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret value. Multi-line values (PEM keys) are registered line by line too. */
  add(value: string): void {
    const candidates = [value, ...value.split(/\r?\n/)];
    let changed = false;
    for (const candidate of candidates) {
      const v = candidate.trim();
      if (v.length < MIN_SECRET_LENGTH) continue;
      for (const form of formsOf(v)) {
        if (form.length >= MIN_SECRET_LENGTH && !form.includes('\n') && !this.variants.has(form)) {
          this.variants.add(form);
          changed = true;
        }
      }
    }
    if (changed) this.rebuild();
  }

  redact(text: string): string {
    if (!this.pattern || text.length === 0) return text;
    return text.replace(this.pattern, MASK);
  }

  /** Redacts every string inside a JSON-like value. */
  redactDeep<T>(value: T): T {
    return JSON.parse(this.redact(JSON.stringify(value))) as T;
  }

  private rebuild(): void {
    // Longest first, so a value is masked whole rather than a shorter form inside it.
    const sorted = [...this.variants].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }
}

function formsOf(value: string): string[] {
  return [
    value,
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64').replace(/=+$/, ''),
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
  ];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
