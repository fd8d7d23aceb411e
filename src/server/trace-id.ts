import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);

/** Ids are cut from a block of random bytes refilled when spent: one syscall per 256 ids. */
const pool = Buffer.alloc(16 * 256);
let offset = pool.length;

/** A new W3C trace id: 32 lowercase hex digits, never all zero. */
export function newTraceId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + 16);
  offset += 16;
  return id === ZERO_TRACE_ID ? newTraceId() : id;
}

/** The trace id of a valid `traceparent` header (W3C Trace Context, version 00), or null. */
export function traceIdFromHeader(traceparent: string): string | null {
  if (traceparent.length !== 55) return null;

  const match = TRACEPARENT.exec(traceparent);
  if (match === null || match[1] === ZERO_TRACE_ID || match[2] === '0000000000000000') return null;
  return match[1] ?? null;
}
