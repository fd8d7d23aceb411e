import { fromDatabaseDate, toDatabaseDate } from '../domain/dates.js';
import { classifyDatabaseError } from './error-classifier.js';
import { IdempotencyKeyTakenError } from './idempotency-key-taken-error.js';
import type { QueryContext } from './query-context.js';

/** What identifies a record: the authenticated user, the operation, the client's key. */
export interface IdempotencyKeyRef {
  userId: number;
  operation: string;
  key: string;
}

/** A stored first answer. */
export interface IdempotencyRecord {
  requestHash: string;
  status: number;
  /** The answer's JSON text; null when it had no body. */
  responseBody: string | null;
  location: string | null;
  /** Cache keys the first answer made stale. */
  invalidate: string[];
  createdAt: Date;
  expiresAt: Date;
}

/** The record of `ref`, expired or not; null when there is none. */
export async function findIdempotencyRecord(
  q: QueryContext,
  ref: IdempotencyKeyRef,
): Promise<IdempotencyRecord | null> {
  const row = await q.db
    .selectFrom('idempotency_keys')
    .select([
      'request_hash',
      'status',
      'response_body',
      'location',
      'invalidate_keys',
      'created_at',
      'expires_at',
    ])
    .where('user_id', '=', ref.userId)
    .where('operation', '=', ref.operation)
    .where('idempotency_key', '=', ref.key)
    .executeTakeFirst();
  if (row === undefined) return null;

  return {
    requestHash: row.request_hash,
    status: row.status,
    responseBody: row.response_body,
    location: row.location,
    invalidate: parseKeys(row.invalidate_keys),
    createdAt: fromDatabaseDate(row.created_at),
    expiresAt: fromDatabaseDate(row.expires_at),
  };
}

/**
 * Stores the record of `ref`. When a record of the same key exists (a concurrent request
 * committed first) this throws IdempotencyKeyTakenError; on PostgreSQL the transaction is
 * then aborted and must roll back.
 */
export async function insertIdempotencyRecord(
  q: QueryContext,
  ref: IdempotencyKeyRef,
  record: IdempotencyRecord,
): Promise<void> {
  try {
    await q.db
      .insertInto('idempotency_keys')
      .values({
        user_id: ref.userId,
        operation: ref.operation,
        idempotency_key: ref.key,
        request_hash: record.requestHash,
        status: record.status,
        response_body: record.responseBody,
        location: record.location,
        invalidate_keys: JSON.stringify(record.invalidate),
        created_at: toDatabaseDate(record.createdAt, q.dialect),
        expires_at: toDatabaseDate(record.expiresAt, q.dialect),
      })
      .execute();
  } catch (error) {
    if (classifyDatabaseError(error, q.dialect) === 'unique_violation') {
      throw new IdempotencyKeyTakenError(error);
    }

    throw error;
  }
}

/**
 * Deletes the record of `ref` if it expired by `now`. The expiry condition matters on
 * PostgreSQL and SQL Server: a concurrent request may have replaced the expired record with
 * a live one since it was read, and that one must stay.
 */
export async function deleteExpiredIdempotencyRecord(
  q: QueryContext,
  ref: IdempotencyKeyRef,
  now: Date,
): Promise<void> {
  await q.db
    .deleteFrom('idempotency_keys')
    .where('user_id', '=', ref.userId)
    .where('operation', '=', ref.operation)
    .where('idempotency_key', '=', ref.key)
    .where('expires_at', '<=', toDatabaseDate(now, q.dialect))
    .execute();
}

/**
 * Deletes at most `limit` records that expired by `now` and returns how many it deleted, so
 * one purge never holds locks on a large backlog for long. SQL Server bounds a DELETE with
 * TOP; PostgreSQL has no bound on DELETE (and SQLite only when built for it), so there the
 * rows are picked by a limited subquery on the primary key.
 */
export async function purgeExpiredIdempotencyRecords(
  q: QueryContext,
  now: Date,
  limit: number,
): Promise<number> {
  const cutoff = toDatabaseDate(now, q.dialect);
  const expired = q.db.deleteFrom('idempotency_keys').where('expires_at', '<=', cutoff);

  const result =
    q.dialect === 'mssql'
      ? await expired.top(limit).executeTakeFirst()
      : await expired
          .where(({ eb, refTuple, selectFrom }) =>
            eb(
              refTuple('user_id', 'operation', 'idempotency_key'),
              'in',
              selectFrom('idempotency_keys')
                .select(['user_id', 'operation', 'idempotency_key'])
                .where('expires_at', '<=', cutoff)
                .limit(limit)
                .$asTuple('user_id', 'operation', 'idempotency_key'),
            ),
          )
          .executeTakeFirst();

  return Number(result.numDeletedRows);
}

/** The stored JSON array of cache keys; only strings count. */
function parseKeys(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((key): key is string => typeof key === 'string') : [];
}
