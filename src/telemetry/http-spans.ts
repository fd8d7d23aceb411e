import type { HitRecords } from './exporter-protocol.js';
import { type AttributeValue, SPAN_KIND, type SpanRecord, STATUS } from './span-record.js';
import { newSpanId } from './trace-context.js';

/** Values per hit in HitRecords. */
export const HIT_FIELDS = 12;

/** Where a cached read was answered from; null for routes that are not cached. */
export type CacheOutcome = 'hit' | 'miss' | null;

/**
 * The server span of one request, times in epoch ms: HTTP semantic conventions, named after
 * the route template. Only 5xx answers are errors (OTel HTTP conventions: 4xx are the
 * client's).
 */
export function serverSpan(
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  method: string,
  path: string,
  route: string | null,
  status: number,
  port: number,
  cache: CacheOutcome,
  startMs: number,
  endMs: number,
): SpanRecord {
  const attributes: Record<string, AttributeValue> = {
    'http.request.method': method,
    'url.path': path,
    'url.scheme': 'http',
    'http.response.status_code': status,
    'server.port': port,
  };
  if (route !== null) attributes['http.route'] = route;
  if (cache !== null) attributes['eventflow.cache'] = cache;
  const isError = status >= 500;
  if (isError) attributes['error.type'] = String(status);

  return {
    traceId,
    spanId,
    parentSpanId,
    name: route === null ? method : `${method} ${route}`,
    kind: SPAN_KIND.server,
    startMs,
    endMs,
    status: isError ? STATUS.error : STATUS.unset,
    attributes,
  };
}

/** The near-cache lookup of a cached read, a child of its server span (times in epoch ms). */
export function nearCacheSpan(
  traceId: string,
  parentSpanId: string,
  startMs: number,
  endMs: number,
  isHit: boolean,
): SpanRecord {
  return {
    traceId,
    spanId: newSpanId(),
    parentSpanId,
    name: 'cache.get',
    kind: SPAN_KIND.internal,
    startMs,
    endMs,
    status: STATUS.unset,
    attributes: { 'cache.level': 'near', 'cache.hit': isHit },
  };
}

/**
 * The spans of the traced near-cache hits in `hits` (see HitRecords), appended to `into`:
 * each hit's server span and its near-cache span. The cache span's id is made here, since
 * nothing on the main thread refers to it.
 */
export function spansOfHits(hits: HitRecords, into: SpanRecord[]): void {
  for (let at = 0; at + HIT_FIELDS <= hits.length; at += HIT_FIELDS) {
    const traceId = hits[at] as string;
    const spanId = hits[at + 1] as string;
    const parentSpanId = hits[at + 2] as string;
    into.push(
      serverSpan(
        traceId,
        spanId,
        parentSpanId === '' ? null : parentSpanId,
        hits[at + 3] as string,
        hits[at + 4] as string,
        hits[at + 5] as string,
        hits[at + 6] as number,
        hits[at + 7] as number,
        'hit',
        hits[at + 8] as number,
        hits[at + 9] as number,
      ),
      nearCacheSpan(traceId, spanId, hits[at + 10] as number, hits[at + 11] as number, true),
    );
  }
}
