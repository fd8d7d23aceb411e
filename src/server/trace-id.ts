import { RandomHex } from '../telemetry/trace-context.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);

/**
 * Every response carries a trace id (X-Trace-Id), traced or not, so one is made per request
 * that brings none. Trace ids need not be secret, only unique with overwhelming probability,
 * yet these are crypto-random all the same: random bytes turned into hex a block at a time
 * and sliced (RandomHex) cost 25-40 ns an id, against 65-110 ns for the hex conversion of
 * each id's own 16 bytes, and 270 ns for a xorshift generator or a counter formatted as hex
 * in JavaScript (measured on the bench machine, Node 20). Random ids also keep what
 * samplers and backends assume of a trace id: uniform bits (W3C Trace Context level 2,
 * OpenTelemetry's trace-id ratio sampler), and no collision between instances (2^-128 per
 * pair). Trade-off: an id keeps its 16 KiB block of hex alive
 * until every id cut from that block is collected.
 */
const traceIds = new RandomHex();

/** A new W3C trace id: 32 lowercase hex digits, never all zero. */
export function newTraceId(): string {
  const id = traceIds.take(32);
  return id === ZERO_TRACE_ID ? newTraceId() : id;
}

/** The trace id of a valid `traceparent` header (W3C Trace Context, version 00), or null. */
export function traceIdFromHeader(traceparent: string): string | null {
  if (traceparent.length !== 55) return null;

  const match = TRACEPARENT.exec(traceparent);
  if (match === null || match[1] === ZERO_TRACE_ID || match[2] === '0000000000000000') return null;
  return match[1] ?? null;
}
