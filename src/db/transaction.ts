import type { Kysely, Transaction } from 'kysely';

import { CommitOutcomeUnknownError } from './commit-outcome-unknown-error.js';
import { isRolledBackTransaction } from './error-classifier.js';
import type { DatabaseSchema } from './schema.js';

export interface TransactionOptions<T> {
  /** Commits only when this returns true for the result, else rolls back; default: commit. */
  commitWhen?: (result: T) => boolean;
}

/**
 * Runs `work` in one transaction at the database's default isolation (READ COMMITTED on
 * PostgreSQL and SQL Server; SQLite transactions begin IMMEDIATE, see sqlite/dialect.ts).
 *
 * Unlike `db.transaction().execute()`, it tells a failed COMMIT apart from a failed
 * statement: an error before COMMIT leaves nothing behind (rolled back, safe to replay),
 * while an error raised by COMMIT itself becomes a CommitOutcomeUnknownError carrying the
 * work's result, which withRetry never replays. The exception is a COMMIT the server
 * answered with a rollback (a serialization failure that PostgreSQL's SSI detects at
 * commit, a deadlock): nothing was committed, so that error is thrown as it is, for
 * withRetry to run the transaction again.
 */
export async function runInTransaction<T>(
  db: Kysely<DatabaseSchema>,
  work: (trx: Transaction<DatabaseSchema>) => Promise<T>,
  options: TransactionOptions<T> = {},
): Promise<T> {
  const trx = await db.startTransaction().execute();

  let result: T;
  try {
    result = await work(trx);
  } catch (error) {
    // The statement's error is what matters; a rollback on a dead connection fails too.
    await trx
      .rollback()
      .execute()
      .catch(() => undefined);
    throw error;
  }

  if (options.commitWhen !== undefined && !options.commitWhen(result)) {
    await trx.rollback().execute();
    return result;
  }

  try {
    await trx.commit().execute();
  } catch (error) {
    // Kysely keeps the connection reserved after a failed commit; rollback releases it.
    await trx
      .rollback()
      .execute()
      .catch(() => undefined);
    if (isRolledBackTransaction(error)) throw error;

    throw new CommitOutcomeUnknownError(error, result);
  }

  return result;
}
