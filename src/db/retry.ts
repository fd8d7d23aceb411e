import { setTimeout as sleep } from 'node:timers/promises';

import { CommitOutcomeUnknownError } from './commit-outcome-unknown-error.js';
import { classifyDatabaseError } from './error-classifier.js';
import type { DatabaseErrorKind } from './error-kind.js';

export interface RetryOptions {
  /** Total tries, the first included. */
  attempts: number;
  /** Backoff cap before the first retry; doubles per retry. */
  baseDelayMs: number;
  /** Largest backoff cap. */
  maxDelayMs: number;
  /** Epoch milliseconds after which no new attempt starts. */
  deadline?: number;
  /** Decides what is transient; defaults to classifyDatabaseError for any dialect. */
  classify?: (err: unknown) => DatabaseErrorKind;
}

/** Four tries within about 0.6 s at most: enough to ride out a deadlock or a dropped connection. */
export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  attempts: 4,
  baseDelayMs: 50,
  maxDelayMs: 400,
};

/**
 * Runs `fn`, running it again after a `transient` error (deadlock, serialization failure,
 * SQLITE_BUSY, dropped connection, SQL Server transient number) with capped exponential
 * backoff and full jitter: the wait before retry n is uniform in [0, min(max, base * 2^(n-1))],
 * which spreads out clients that failed together.
 *
 * Replay safety is the caller's contract: wrap only reads, or a whole transaction
 * (runInTransaction), never a single statement inside one. A transaction that failed before
 * COMMIT was rolled back, so running it again is safe. A COMMIT that failed has an unknown
 * outcome (the server may have committed before the connection dropped) and is never
 * replayed: runInTransaction reports it as CommitOutcomeUnknownError, which is not retried,
 * unless the server answered it with a rollback (deadlock, serialization failure).
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY_OPTIONS,
): Promise<T> {
  const classify = options.classify ?? ((err: unknown) => classifyDatabaseError(err));

  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !isRetryable(error, classify)) {
        throw error;
      }

      const delay = backoffDelay(attempt, options);
      if (options.deadline !== undefined && Date.now() + delay >= options.deadline) {
        throw error;
      }

      await sleep(delay);
    }
  }
}

function isRetryable(error: unknown, classify: (err: unknown) => DatabaseErrorKind): boolean {
  return !(error instanceof CommitOutcomeUnknownError) && classify(error) === 'transient';
}

/** Full jitter: uniform in [0, min(maxDelayMs, baseDelayMs * 2^(attempt - 1))]. */
export function backoffDelay(attempt: number, options: RetryOptions): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(Math.random() * cap);
}
