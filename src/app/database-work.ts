import type { DialectName } from '../db/dialect-name.js';
import { type DatabaseErrorKind, classifyDatabaseError } from '../db/error-classifier.js';
import type { QueryContext } from '../db/query-context.js';
import { DEFAULT_RETRY_OPTIONS, type RetryOptions, withRetry } from '../db/retry.js';
import { runInTransaction } from '../db/transaction.js';
import type { AppContext } from './context.js';
import type { OperationResult } from './operation.js';

function retryOptions(dialect: DialectName): RetryOptions {
  return { ...DEFAULT_RETRY_OPTIONS, classify: (err) => classifyDatabaseError(err, dialect) };
}

/**
 * Runs reads, retrying transient failures (a read can always run again). The reads share
 * one pooled connection: a document takes up to four queries, and each checkout costs
 * (on SQL Server, Kysely validates every checkout with a `select 1` round trip).
 */
export function readWithRetry<T>(
  ctx: AppContext,
  work: (q: QueryContext) => Promise<T>,
): Promise<T> {
  return withRetry(
    () => ctx.db.connection().execute((db) => work({ db, dialect: ctx.dialect })),
    retryOptions(ctx.dialect),
  );
}

/**
 * Runs a write as one transaction, retried whole after a transient failure (deadlock,
 * serialization failure, SQLITE_BUSY, lost connection before COMMIT). A failure result
 * rolls back, so a use case may decide to fail after it began writing. `work` must
 * compute everything, cache keys included, inside the transaction: it may run again.
 */
export function writeWithRetry(
  ctx: AppContext,
  work: (q: QueryContext) => Promise<OperationResult>,
): Promise<OperationResult> {
  return withRetry(
    () =>
      runInTransaction(ctx.db, (trx) => work({ db: trx, dialect: ctx.dialect }), {
        commitWhen: (result) => result.ok,
      }),
    retryOptions(ctx.dialect),
  );
}

/** The kind of constraint an error broke, or null when it is not a constraint violation. */
export function violatedConstraint(
  ctx: AppContext,
  error: unknown,
): Exclude<DatabaseErrorKind, 'transient' | 'other'> | null {
  const kind = classifyDatabaseError(error, ctx.dialect);
  return kind === 'transient' || kind === 'other' ? null : kind;
}

/** Cache keys without repeats, in first-seen order. */
export function uniqueKeys(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}
