import {
  type DatabaseErrorKind,
  NETWORK_ERROR_CODES,
  errorCode,
  errorProperty,
} from '../error-kind.js';

/**
 * SQL Server error numbers worth retrying: deadlock victim (1205), and the transient list
 * of EF Core's SqlServerTransientExceptionDetector (Azure SQL throttling and failover,
 * transport-level errors, In-Memory OLTP validation failures). -2 is SqlClient's timeout;
 * replaying it is safe here because commits are never replayed (see ../retry.ts).
 */
const TRANSIENT_ERROR_NUMBERS: ReadonlySet<number> = new Set([
  1205, 4060, 4221, 10053, 10054, 10060, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 41301,
  41302, 41305, 41325, 41839, 49918, 49919, 49920, 49977, 49983, 233, 121, 64, 20, -2,
]);

/**
 * tedious error codes for a connection that failed, closed or timed out mid-request; ELOGIN
 * is left out (tedious already retries the transient login errors itself).
 */
const TRANSIENT_TEDIOUS_CODES: ReadonlySet<string> = new Set(['ESOCKET', 'ECLOSE', 'ETIMEOUT']);

/** Deadlock victim (1205) and snapshot update conflict (3960): the server rolled back. */
const ROLLED_BACK_ERROR_NUMBERS: ReadonlySet<number> = new Set([1205, 3960]);

/** True when the error says the server rolled the transaction back (see above). */
export function isRolledBack(err: unknown): boolean {
  const number = errorProperty(err, 'number');
  return typeof number === 'number' && ROLLED_BACK_ERROR_NUMBERS.has(number);
}

/**
 * Classifies a tedious error: a `RequestError` carries the server's error `number`;
 * connection problems carry only a `code`.
 * https://learn.microsoft.com/sql/relational-databases/errors-events/database-engine-events-and-errors
 */
export function classifyDatabaseError(err: unknown): DatabaseErrorKind {
  const number = errorProperty(err, 'number');
  if (typeof number === 'number') {
    return classifyErrorNumber(number);
  }

  const code = errorCode(err);
  if (code !== undefined && (TRANSIENT_TEDIOUS_CODES.has(code) || NETWORK_ERROR_CODES.has(code))) {
    return 'transient';
  }

  return 'other';
}

function classifyErrorNumber(number: number): DatabaseErrorKind {
  switch (number) {
    case 2627: // Violation of PRIMARY KEY or UNIQUE constraint
    case 2601: // Cannot insert duplicate key row (unique index)
      return 'unique_violation';
    case 547:
      // "The statement conflicted with the FOREIGN KEY|CHECK constraint": SQL Server uses one
      // number for both, told apart only by message text, which we never parse. Callers treat
      // both kinds alike and decide the outcome from a fresh read (see registration).
      return 'foreign_key_violation';
  }

  return TRANSIENT_ERROR_NUMBERS.has(number) ? 'transient' : 'other';
}
