import type { HttpResponse } from 'uWebSockets.js';
import { ERROR_CATALOGUE, type ErrorCode, type FieldErrors } from '../domain/errors.js';

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
  431: '431 Request Header Fields Too Large',
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
