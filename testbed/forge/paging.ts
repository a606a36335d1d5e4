// Pagination as Gitea does it: utils.GetListOptions (page from ?page, size from ?limit through
// convert.ToCorrectPageSize: ≤0 → DEFAULT_PAGING_NUM, > MAX_RESPONSE_ITEMS → clamped), the
// `Link` header of APIContext.SetLinkHeader (modules/paginator; rel next, last, first, prev in
// that order, joined by "," with no space, URLs = AppURL + request URI with `page` replaced and
// the query re-encoded by url.Values.Encode), and SetTotalCountHeader (`X-Total-Count`).
import { goAtoi, goEncodeQuery } from './gojson.js';
import type { Reply } from './reply.js';

export const DEFAULT_PAGING_NUM = 30;
export const MAX_RESPONSE_ITEMS = 50;

export interface ListOptions {
  /** As given (0 when absent or not a number); treated as 1 when ≤ 0. */
  page: number;
  pageSize: number;
}

export function listOptions(query: URLSearchParams): ListOptions {
  let size = goAtoi(query.get('limit'));
  if (size <= 0) size = DEFAULT_PAGING_NUM;
  else if (size > MAX_RESPONSE_ITEMS) size = MAX_RESPONSE_ITEMS;
  return { page: goAtoi(query.get('page')), pageSize: size };
}

export function pageOf<T>(items: T[], opts: ListOptions): T[] {
  const page = opts.page <= 0 ? 1 : opts.page;
  const start = (page - 1) * opts.pageSize;
  return items.slice(start, start + opts.pageSize);
}

/** modules/paginator with numPages 0. */
function paginator(total: number, pagingNum: number, current: number) {
  const size = pagingNum <= 0 ? 1 : pagingNum;
  const totalPages = total === 0 ? 1 : Math.ceil(total / size);
  let cur = current <= 0 ? 1 : current;
  if (cur > totalPages) cur = totalPages;
  const hasNext = total > cur * size;
  return {
    totalPages,
    hasNext,
    next: hasNext ? cur + 1 : cur,
    isFirst: cur === 1,
    hasPrevious: cur > 1,
    previous: cur > 1 ? cur - 1 : cur,
    isLast: total === 0 ? true : total > (cur - 1) * size && !hasNext,
  };
}

/** The Link header value for a list (undefined when there is no link to give). */
export function linkHeader(
  appUrl: string,
  requestUrl: string,
  total: number,
  pageSize: number,
  page: number,
): string | undefined {
  const [pathPart = '/', queryPart = ''] = requestUrl.split(/\?(.*)/s);
  const p = paginator(total, pageSize, page);
  const link = (pageNo: number, rel: string): string => {
    const q = new URLSearchParams(queryPart);
    q.set('page', String(pageNo));
    return `<${appUrl}${pathPart.slice(1)}?${goEncodeQuery(q)}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (p.hasNext) links.push(link(p.next, 'next'));
  if (!p.isLast) links.push(link(p.totalPages, 'last'));
  if (!p.isFirst) links.push(link(1, 'first'));
  if (p.hasPrevious) links.push(link(p.previous, 'prev'));
  return links.length > 0 ? links.join(',') : undefined;
}

export function setLinkHeader(
  reply: Reply,
  appUrl: string,
  requestUrl: string,
  total: number,
  opts: ListOptions,
): void {
  const value = linkHeader(appUrl, requestUrl, total, opts.pageSize, opts.page);
  if (value) {
    reply.header('Link', value);
    reply.exposeHeader('Link');
  }
}

export function setTotalCount(reply: Reply, total: number): void {
  reply.header('X-Total-Count', String(total));
  reply.exposeHeader('X-Total-Count');
}
