// Text that cc-ci did not write (check names, failure messages, git and abra output, a comment's
// own words) posted in markdown under the bot's name: always as inline code, so no link, image,
// HTML, heading, emphasis or @mention in it is rendered — a PR's tests cannot make the bot post
// a phishing link, a tracking pixel or a notification.

/** Inline code that survives backticks and line breaks in the text (no markdown, no mentions). */
export function codeSpan(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  // An empty span (two backticks) is not code: it would be shown as the backticks themselves.
  if (flat.trim() === '') return '';
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  // A span that starts or ends with a backtick needs a space inside its fence (CommonMark strips it).
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/** Untrusted text as one line of inline code, cut to `max` characters (with an ellipsis). */
export function untrustedInline(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return codeSpan(line.length > max ? `${line.slice(0, max - 1)}…` : line);
}

/**
 * Untrusted text for a GFM table cell: inline code, cut to `max`. A `|` splits table cells even
 * inside code, so it is escaped (GFM turns `\|` back into `|` inside the code span).
 */
export function untrustedCell(text: string, max: number): string {
  return untrustedInline(text, max).replaceAll('|', '\\|');
}
