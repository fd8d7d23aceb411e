import type { OperationInput, OperationName } from '../app/operation.js';
import type { Failure } from '../domain/errors.js';
import type { PageMeta } from '../domain/types.js';
import type { SeqTarget } from '../telemetry/seq-stream.js';
import type { SpanRecord } from '../telemetry/span-record.js';

/** What the main thread sends to a worker. Plain data: it crosses a structured clone. */
export interface TaskRequest {
  operation: OperationName | 'migrate';
  input: OperationInput;
  /** Ask the worker for an entity tag of the body (cacheable reads). */
  wantsEtag?: boolean;
  /**
   * W3C trace context of the request: its trace id, the pool.run span as parent, and the
   * sampled flag, set when the worker should record spans (else only logs carry the id).
   */
  traceparent?: string;
  /** Epoch ms at which the request is answered 503 anyway: no retry starts after it. */
  deadlineAt?: number;
}

/** What a worker answers: the response body already serialised, plus stale cache keys. */
export interface TaskResponse {
  status: number;
  /** JSON text of the success body; null for 204 and for failures. */
  body: string | null;
  etag?: string;
  location?: string;
  page?: PageMeta;
  /**
   * Cache keys made stale by a committed write (or by one whose commit outcome is unknown);
   * the main thread drops them before replying.
   */
  invalidate: string[];
  problem?: Failure;
  /** The stored first answer to an Idempotency-Key: sent with `Idempotency-Replayed: true`. */
  isReplay?: boolean;
  /** Seconds a client should wait before retrying (503s). */
  retryAfterSeconds?: number;
  /** Spans the worker recorded (use case, queries), when the task was traced. */
  spans?: SpanRecord[];
  /** Epoch ms the worker started the task (traced tasks): the pool's queue wait ends here. */
  startedAtMs?: number;
}

/** Settings each worker receives once, at start, through `workerData`. */
export interface WorkerSettings {
  databaseUrl: string;
  dbPoolSize: number;
  jwt: {
    secret: Uint8Array;
    issuer: string;
    audience: string;
    lifetimeSeconds: number;
  };
  logLevel: string;
  /** Ship worker log lines to Seq too (SEQ_URL); null: stdout only. */
  seq: SeqTarget | null;
  /** Pool and query counters shared with the main thread (DatabaseCounters). */
  databaseCounters: SharedArrayBuffer;
}
