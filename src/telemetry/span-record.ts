/**
 * A finished span as plain data. Spans are recorded in this shape on the main thread and in
 * the workers (cheap to build, and structured-clone friendly) and only turned into
 * OpenTelemetry SDK objects by the export thread.
 */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Null for a root span. */
  parentSpanId: string | null;
  name: string;
  kind: SpanKindCode;
  /** Epoch milliseconds with a sub-millisecond fraction (timeOrigin + performance.now()). */
  startMs: number;
  endMs: number;
  status: StatusCode;
  statusMessage?: string;
  attributes: Record<string, AttributeValue>;
  events?: SpanEventRecord[];
}

export interface SpanEventRecord {
  name: string;
  timeMs: number;
  attributes: Record<string, AttributeValue>;
}

export type AttributeValue = string | number | boolean;

/** The numbers of @opentelemetry/api's SpanKind, without importing the API on hot paths. */
export const SPAN_KIND = { internal: 0, server: 1, client: 2 } as const;
export type SpanKindCode = (typeof SPAN_KIND)[keyof typeof SPAN_KIND];

/** The numbers of @opentelemetry/api's SpanStatusCode. */
export const STATUS = { unset: 0, ok: 1, error: 2 } as const;
export type StatusCode = (typeof STATUS)[keyof typeof STATUS];

const TIME_ORIGIN = performance.timeOrigin;

/** Epoch milliseconds of a `performance.now()` reading taken on this thread. */
export function epochMs(performanceNow: number): number {
  return TIME_ORIGIN + performanceNow;
}

/** The `exception` span event of OTel's semantic conventions. */
export function exceptionEvent(error: unknown, timeMs: number): SpanEventRecord {
  const attributes: Record<string, AttributeValue> =
    error instanceof Error
      ? { 'exception.type': error.name, 'exception.message': error.message }
      : { 'exception.type': typeof error, 'exception.message': String(error) };
  if (error instanceof Error && error.stack !== undefined) {
    attributes['exception.stacktrace'] = error.stack;
  }
  return { name: 'exception', timeMs, attributes };
}
