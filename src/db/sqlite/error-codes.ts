import type { DatabaseErrorKind } from '../error-kind.js';
import { errorCode } from '../error-kind.js';

/**
 * Classifies a better-sqlite3 `SqliteError` by its extended result code (`err.code`).
 * SQLITE_BUSY and SQLITE_LOCKED (with their extended forms such as SQLITE_BUSY_SNAPSHOT)
 * mean another connection held the lock past busy_timeout: the statement did nothing and
 * the whole transaction may run again.
 * https://www.sqlite.org/rescode.html
 */
export function classifyDatabaseError(err: unknown): DatabaseErrorKind {
  const code = errorCode(err);
  if (code === undefined) {
    return 'other';
  }

  switch (code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return 'unique_violation';
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return 'foreign_key_violation';
    case 'SQLITE_CONSTRAINT_CHECK':
      return 'check_violation';
  }

  if (isCodeFamily(code, 'SQLITE_BUSY') || isCodeFamily(code, 'SQLITE_LOCKED')) {
    return 'transient';
  }

  return 'other';
}

/**
 * SQLite never rolls a transaction back in place of a COMMIT here: a COMMIT that fails with
 * SQLITE_BUSY leaves the transaction open (https://www.sqlite.org/lang_transaction.html).
 */
export function isRolledBack(_err: unknown): boolean {
  return false;
}

/** `SQLITE_BUSY` itself or one of its extended codes (`SQLITE_BUSY_SNAPSHOT`, ...). */
function isCodeFamily(code: string, primary: string): boolean {
  return code === primary || code.startsWith(`${primary}_`);
}
