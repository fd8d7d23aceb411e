import type { PageMeta } from '../domain/types.js';

/**
 * `X-Pagination` (the original service's header, kept for its clients) and an RFC 8288
 * `Link` header with next/prev relations that keep the request's sort and filter.
 */
export function paginationHeaders(
  path: string,
  rawQuery: string,
  page: PageMeta,
): [string, string][] {
  const totalPages = Math.ceil(page.totalCount / page.pageSize);
  const hasNextPage = page.pageNumber < totalPages;
  const hasPreviousPage = page.pageNumber > 1;
  const headers: [string, string][] = [
    [
      'X-Pagination',
      JSON.stringify({
        totalCount: page.totalCount,
        pageSize: page.pageSize,
        pageNumber: page.pageNumber,
        totalPages,
        hasNextPage,
        hasPreviousPage,
      }),
    ],
  ];

  const links: string[] = [];
  if (hasNextPage) links.push(link(path, rawQuery, page.pageNumber + 1, page.pageSize, 'next'));
  if (hasPreviousPage) {
    const previous = Math.min(page.pageNumber - 1, Math.max(totalPages, 1));
    links.push(link(path, rawQuery, previous, page.pageSize, 'prev'));
  }
  if (links.length > 0) headers.push(['Link', links.join(', ')]);

  return headers;
}

function link(path: string, rawQuery: string, pageNumber: number, pageSize: number, rel: string) {
  const query = new URLSearchParams();
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    const key = name.toLowerCase();
    if (key !== 'pagenumber' && key !== 'pagesize') query.append(name, value);
  }
  query.set('pageNumber', String(pageNumber));
  query.set('pageSize', String(pageSize));
  return `<${path}?${query.toString()}>; rel="${rel}"`;
}
