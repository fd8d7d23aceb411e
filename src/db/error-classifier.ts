import type { DialectName } from './dialect-name.js';
import type { DatabaseErrorKind } from './error-kind.js';
import {
  classifyDatabaseError as classifyMssqlError,
  isRolledBack as isMssqlRollback,
} from './mssql/error-codes.js';
import {
  classifyDatabaseError as classifyPostgresError,
  isRolledBack as isPostgresRollback,
} from './postgres/error-codes.js';
import {
  classifyDatabaseError as classifySqliteError,
  isRolledBack as isSqliteRollback,
} from './sqlite/error-codes.js';

export type { DatabaseErrorKind } from './error-kind.js';

const CLASSIFIERS: Record<DialectName, (err: unknown) => DatabaseErrorKind> = {
  sqlite: classifySqliteError,
  postgres: classifyPostgresError,
  mssql: classifyMssqlError,
};

const ROLLBACK_DETECTORS: Record<DialectName, (err: unknown) => boolean> = {
  sqlite: isSqliteRollback,
  postgres: isPostgresRollback,
  mssql: isMssqlRollback,
};

/**
 * Classifies an error thrown by a query. With a dialect, only that dialect's codes are
 * consulted; without one, each dialect's classifier is tried (their codes do not overlap:
 * SQLSTATE strings, `SQLITE_*` strings, numeric SQL Server error numbers).
 *
 * Kysely's SQL Server driver rejects with an array when tedious reports several errors at
 * once (an AggregateError's `errors`), so arrays and AggregateErrors are searched too; the
 * first error that means something wins. `cause` chains are deliberately not followed: an
 * error that wraps a driver error (CommitOutcomeUnknownError) has its own meaning.
 */
export function classifyDatabaseError(err: unknown, dialect?: DialectName): DatabaseErrorKind {
  for (const candidate of flattenErrors(err)) {
    const kind =
      dialect === undefined ? classifyWithAnyDialect(candidate) : CLASSIFIERS[dialect](candidate);
    if (kind !== 'other') {
      return kind;
    }
  }

  return 'other';
}

/** True for errors a retry or a later request could get past: report them as 503. */
export function isTransientDatabaseError(err: unknown, dialect?: DialectName): boolean {
  return classifyDatabaseError(err, dialect) === 'transient';
}

/**
 * True when the server answered that it rolled the transaction back (deadlock victim,
 * serialization failure). A COMMIT that fails so did not commit and may run again, unlike
 * one that fails for a lost connection, whose outcome is unknown. Any dialect's codes are
 * consulted; they do not overlap.
 */
export function isRolledBackTransaction(err: unknown): boolean {
  return flattenErrors(err).some((candidate) =>
    Object.values(ROLLBACK_DETECTORS).some((isRolledBack) => isRolledBack(candidate)),
  );
}

function classifyWithAnyDialect(err: unknown): DatabaseErrorKind {
  for (const classify of Object.values(CLASSIFIERS)) {
    const kind = classify(err);
    if (kind !== 'other') {
      return kind;
    }
  }

  return 'other';
}

function flattenErrors(err: unknown): unknown[] {
  if (Array.isArray(err)) {
    return err.flatMap(flattenErrors);
  }

  if (err instanceof AggregateError) {
    return [err, ...err.errors.flatMap(flattenErrors)];
  }

  return [err];
}
