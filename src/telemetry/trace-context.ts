import { randomFillSync } from 'node:crypto';

/** The parent named by an incoming `traceparent` header (W3C Trace Context, version 00). */
export interface TraceParent {
  traceId: string;
  spanId: string;
  /** The caller's sampled flag: a sampled parent is always traced here too. */
  isSampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** The parent of a valid `traceparent` header, or null (malformed headers are ignored). */
export function parseTraceparent(header: string): TraceParent | null {
  if (header.length !== 55) return null;

  const match = TRACEPARENT.exec(header);
  if (match === null) return null;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return null;

  return { traceId, spanId, isSampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, isSampled: boolean): string {
  return `00-${traceId}-${spanId}-${isSampled ? '01' : '00'}`;
}

/** Span ids are cut from a block of random bytes refilled when spent: one syscall per 512. */
const pool = Buffer.alloc(8 * 512);
let offset = pool.length;

/** A new span id: 16 lowercase hex digits, never all zero. */
export function newSpanId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + 8);
  offset += 8;
  return id === ZERO_SPAN_ID ? newSpanId() : id;
}
