import type { CommitOutcomeUnknownError } from '../db/commit-outcome-unknown-error.js';
import { type DatabaseErrorKind, classifyDatabaseError } from '../db/error-classifier.js';
import { IdempotencyKeyTakenError } from '../db/idempotency-key-taken-error.js';
import { findIdempotencyRecord } from '../db/idempotency-repository.js';
import type { QueryContext } from '../db/query-context.js';
import { DEFAULT_RETRY_OPTIONS, type RetryOptions, withRetry } from '../db/retry.js';
import { runInTransaction } from '../db/transaction.js';
import type { AppContext, IdempotencyScope } from './context.js';
import { answerFromRecord, isLive, runRecorded } from './idempotent-write.js';
import type { OperationResult } from './operation.js';

/** Rounds of "a concurrent request took the key" before giving up (see writeIdempotently). */
const MAX_KEY_ROUNDS = 3;

/** The default policy with this dialect's classifier, stopping at the request's deadline. */
function retryOptions(ctx: AppContext): RetryOptions {
  const dialect = ctx.dialect;
  return {
    ...DEFAULT_RETRY_OPTIONS,
    classify: (err) => classifyDatabaseError(err, dialect),
    deadline: ctx.deadlineAt,
  };
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
    retryOptions(ctx),
  );
}

/**
 * Runs a write as one transaction, retried whole after a transient failure (deadlock,
 * serialization failure, SQLITE_BUSY, lost connection before COMMIT). A failure result
 * rolls back, so a use case may decide to fail after it began writing. `work` must
 * compute everything, cache keys included, inside the transaction: it may run again.
 *
 * Under an Idempotency-Key (ctx.idempotency) the key's record is consulted and written in
 * the same transaction (see runRecorded), so a retry of a committed write is answered from
 * the record and never writes twice.
 */
export function writeWithRetry(
  ctx: AppContext,
  work: (q: QueryContext) => Promise<OperationResult>,
): Promise<OperationResult> {
  const scope = ctx.idempotency;
  return scope === undefined ? runWrite(ctx, work) : writeIdempotently(ctx, scope, work);
}

function runWrite(
  ctx: AppContext,
  work: (q: QueryContext) => Promise<OperationResult>,
): Promise<OperationResult> {
  return withRetry(
    () =>
      runInTransaction(ctx.db, (trx) => work({ db: trx, dialect: ctx.dialect }), {
        commitWhen: (result) => result.ok,
      }),
    retryOptions(ctx),
  );
}

/**
 * Two requests with one key can both find no record and both run the work (PostgreSQL and
 * SQL Server run them side by side at READ COMMITTED; SQLite's write lock serialises them,
 * so there the second finds the record). The primary key lets only one record in: the
 * other's insert waits for the winner's commit and fails, its transaction rolls back with
 * whatever its work wrote, and it answers from the winner's record. The error has its own
 * type, so no use case takes it for one of its constraints.
 */
async function writeIdempotently(
  ctx: AppContext,
  scope: IdempotencyScope,
  work: (q: QueryContext) => Promise<OperationResult>,
): Promise<OperationResult> {
  for (let round = 1; ; round++) {
    try {
      return await runWrite(ctx, (q) => runRecorded(q, scope, ctx.now(), work));
    } catch (error) {
      if (!(error instanceof IdempotencyKeyTakenError) || round >= MAX_KEY_ROUNDS) throw error;

      const winner = await readWithRetry(ctx, (q) => findIdempotencyRecord(q, scope));
      if (winner !== null && isLive(winner, ctx.now())) return answerFromRecord(winner, scope);
      // The winner's record expired since (and was purged): the key is free, run again.
    }
  }
}

/**
 * The cache keys a write whose COMMIT failed would have made stale. It may have committed,
 * so they are dropped anyway: a needless drop costs one refill, a missed one would serve
 * stale documents until their TTL.
 */
export function keysMadeStaleBy(error: CommitOutcomeUnknownError): string[] {
  const result = error.result as Partial<OperationResult> | undefined;
  return result?.ok === true && Array.isArray(result.invalidate) ? result.invalidate : [];
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
