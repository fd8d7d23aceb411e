import type { HttpResponse } from 'uWebSockets.js';
import type { CachedDocument } from '../cache/cache.js';
import { ERROR_CATALOGUE, type ErrorCode, type FieldErrors } from '../domain/errors.js';
import { PROMETHEUS_TYPE } from '../telemetry/prometheus.js';
import type { TaskResponse } from '../workers/protocol.js';
import { paginationHeaders } from './pagination.js';
import type { StaticAsset } from './static-assets.js';

/** uWS wants the whole status line; these are built once. */
const STATUS_LINES: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  204: '204 No Content',
  304: '304 Not Modified',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  408: '408 Request Timeout',
  409: '409 Conflict',
  413: '413 Content Too Large',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Content',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_LINES[status] ?? String(status);
}

export const JSON_TYPE = 'application/json; charset=utf-8';
export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export interface ProblemOptions {
  detail: string;
  errors?: FieldErrors | undefined;
  /** Extra response headers as name/value pairs. */
  headers?: readonly (readonly [string, string])[];
  /** Extension members of the problem document (RFC 9457 section 3.2). */
  extensions?: Record<string, unknown>;
  /** Close the connection after the response (the request body was not read). */
  closeConnection?: boolean;
}

/** The RFC 9457 problem document for a catalogue code. */
export function problemBody(
  code: ErrorCode,
  traceId: string,
  detail: string,
  errors?: FieldErrors,
  extensions?: Record<string, unknown>,
): string {
  const entry = ERROR_CATALOGUE[code];
  return JSON.stringify({
    type: `urn:eventflow:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: entry.title,
    status: entry.status,
    detail,
    code,
    traceId,
    ...(errors === undefined ? {} : { errors }),
    ...extensions,
  });
}

/** Writes a problem response. The caller must be inside a cork (or the sync handler). */
export function writeProblem(
  res: HttpResponse,
  traceId: string,
  code: ErrorCode,
  options: ProblemOptions,
): void {
  const status = ERROR_CATALOGUE[code].status;
  res.writeStatus(statusLine(status));
  res.writeHeader('Content-Type', PROBLEM_TYPE);
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('X-Content-Type-Options', 'nosniff');
  res.writeHeader('Cache-Control', 'no-store');
  for (const [name, value] of options.headers ?? []) res.writeHeader(name, value);
  res.end(
    problemBody(code, traceId, options.detail, options.errors, options.extensions),
    options.closeConnection === true,
  );
}

export function writeJson(res: HttpResponse, traceId: string, status: number, body: string): void {
  res.writeStatus(statusLine(status));
  res.writeHeader('Content-Type', JSON_TYPE);
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('Cache-Control', 'no-store');
  res.end(body);
}

export function writeMetrics(res: HttpResponse, traceId: string, text: string): void {
  res.writeStatus('200 OK');
  res.writeHeader('Content-Type', PROMETHEUS_TYPE);
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('Cache-Control', 'no-store');
  res.end(text);
}

/** A cached document: 304 when the client holds the same entity tag (RFC 9110 13.1.2). */
export function writeCached(
  res: HttpResponse,
  traceId: string,
  document: CachedDocument,
  outcome: 'hit' | 'miss',
  ifNoneMatch: string,
): number {
  const isNotModified = ifNoneMatch !== '' && matchesEtag(ifNoneMatch, document.etag);
  res.writeStatus(isNotModified ? '304 Not Modified' : '200 OK');
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('ETag', document.etag);
  res.writeHeader('X-Cache', outcome);
  res.writeHeader('Cache-Control', 'no-cache');
  if (isNotModified) {
    res.endWithoutBody();
    return 304;
  }
  res.writeHeader('Content-Type', JSON_TYPE);
  endWithBody(res, document.body);
  return 200;
}

export function writeAsset(
  res: HttpResponse,
  traceId: string,
  asset: StaticAsset,
  ifNoneMatch: string,
): number {
  const isNotModified = ifNoneMatch !== '' && matchesEtag(ifNoneMatch, asset.etag);
  res.writeStatus(isNotModified ? '304 Not Modified' : '200 OK');
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('ETag', asset.etag);
  res.writeHeader('Cache-Control', 'no-cache');
  if (isNotModified) {
    res.endWithoutBody();
    return 304;
  }
  res.writeHeader('Content-Type', asset.contentType);
  endWithBody(res, asset.body);
  return 200;
}

function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === etag || tag === `W/${etag}`;
  });
}

/** A worker's answer: its problem, or its status, headers and serialised body. */
export function writeTaskResponse(
  res: HttpResponse,
  traceId: string,
  path: string,
  query: string,
  response: TaskResponse,
): number {
  if (response.problem !== undefined) {
    const headers: [string, string][] = [];
    if (response.retryAfterSeconds !== undefined) {
      headers.push(['Retry-After', String(response.retryAfterSeconds)]);
    }
    writeProblem(res, traceId, response.problem.code, {
      detail: response.problem.detail,
      errors: response.problem.errors,
      headers,
      extensions: response.problem.extensions,
    });
    return response.status;
  }

  res.writeStatus(statusLine(response.status));
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('Cache-Control', 'no-store');
  if (response.location !== undefined) res.writeHeader('Location', response.location);
  if (response.isReplay === true) res.writeHeader('Idempotency-Replayed', 'true');
  if (response.page !== undefined) {
    for (const [name, value] of paginationHeaders(path, query, response.page)) {
      res.writeHeader(name, value);
    }
  }
  if (response.body === null) {
    res.endWithoutBody();
    return response.status;
  }
  res.writeHeader('Content-Type', JSON_TYPE);
  endWithBody(res, response.body);
  return response.status;
}

/** Bodies up to this size are handed to uWS whole: a socket buffer takes them at once. */
const STREAMED_BODY_BYTES = 64 * 1024;

const NO_OP = (): void => undefined;

/**
 * Ends the response with `body`, honouring backpressure for large ones. `res.end` would copy
 * whatever the socket cannot take into uWS's own buffer, one private copy per slow client of
 * a document that the cache holds once; `tryEnd` writes only what the socket takes and the
 * rest follows from `onWritable`, straight from the one buffer. uWS needs an abort handler
 * while a response is unfinished; once its body is being written nothing is left to undo
 * if the client goes, so an empty one takes the place of any earlier one.
 */
export function endWithBody(res: HttpResponse, body: Buffer | string): void {
  // A UTF-16 code unit takes at most 3 bytes in UTF-8.
  const mostBytes = typeof body === 'string' ? body.length * 3 : body.byteLength;
  if (mostBytes <= STREAMED_BODY_BYTES) {
    res.end(body);
    return;
  }

  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const total = bytes.byteLength;
  const start = res.getWriteOffset();
  const [isWritten, isDone] = res.tryEnd(bytes, total);
  if (isWritten || isDone) return;

  res.onAborted(NO_OP);
  res.onWritable((offset) => {
    const [isChunkWritten] = res.tryEnd(bytes.subarray(offset - start), total);
    return isChunkWritten;
  });
}
