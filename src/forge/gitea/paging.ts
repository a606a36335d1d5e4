// Every page of a Gitea list. The server clamps `limit` (MAX_RESPONSE_ITEMS, 50 by default, may
// be lower), so the next page is never inferred from our own limit: it comes from the Link
// header's rel="next" (only its page number: the link is built from the forge's ROOT_URL, which
// need not be the address we were given, and the token must not follow it elsewhere), else from
// X-Total-Count, else pages are read until one comes back empty.

export const PAGE_LIMIT = 50;
const MAX_PAGES = 1000;

export interface Page<T> {
  items: T[];
  headers: Headers;
}

export async function allPages<T>(
  fetchPage: (page: number) => Promise<Page<T>>,
  key: (item: T) => unknown,
  log: (line: string) => void,
): Promise<T[]> {
  // Keyed: an item that moves between pages while we read (a PR opened or closed meanwhile) is kept once.
  const seen = new Map<unknown, T>();
  let received = 0;
  let page: number | undefined = 1;
  for (let n = 0; page !== undefined; n++) {
    if (n === MAX_PAGES) {
      log(`forge: stopped listing after ${MAX_PAGES} pages (${seen.size} items)`);
      break;
    }
    const { items, headers }: Page<T> = await fetchPage(page);
    received += items.length;
    for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
    page = nextPage(headers, page, items.length, received);
  }
  return [...seen.values()];
}

function nextPage(headers: Headers, page: number, got: number, received: number): number | undefined {
  const link = headers.get('link');
  if (link) {
    const next = parseLink(link).get('next');
    const n = next ? Number(new URL(next, 'http://x').searchParams.get('page')) : NaN;
    return Number.isInteger(n) && n > page ? n : undefined;
  }
  if (got === 0) return undefined;
  const total = Number(headers.get('x-total-count') ?? NaN);
  if (Number.isFinite(total)) return received < total ? page + 1 : undefined;
  return page + 1;
}

/** rel → URL of an RFC 8288 Link header. */
export function parseLink(header: string): Map<string, string> {
  const rels = new Map<string, string>();
  for (const m of header.matchAll(/<([^>]*)>\s*;\s*rel="?([^";,]+)"?/g)) {
    for (const rel of (m[2] ?? '').trim().split(/\s+/)) if (!rels.has(rel)) rels.set(rel, m[1] ?? '');
  }
  return rels;
}
