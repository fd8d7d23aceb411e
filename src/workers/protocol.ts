import type { OperationInput, OperationName } from '../app/operation.js';
import type { Failure } from '../domain/errors.js';
import type { PageMeta } from '../domain/types.js';

/** What the main thread sends to a worker. Plain data: it crosses a structured clone. */
export interface TaskRequest {
  operation: OperationName | 'migrate';
  input: OperationInput;
  /** Ask the worker for an entity tag of the body (cacheable reads). */
  wantsEtag?: boolean;
}

/** What a worker answers: the response body already serialised, plus stale cache keys. */
export interface TaskResponse {
  status: number;
  /** JSON text of the success body; null for 204 and for failures. */
  body: string | null;
  etag?: string;
  location?: string;
  page?: PageMeta;
  /** Cache keys made stale by a committed write; the main thread drops them before replying. */
  invalidate: string[];
  problem?: Failure;
  /** Seconds a client should wait before retrying (503s). */
  retryAfterSeconds?: number;
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
}
