import { type DatabaseErrorKind, NETWORK_ERROR_CODES, errorCode } from '../error-kind.js';
import { CONNECTION_LOST_CODE } from './connection-lost-error.js';

/**
 * SQLSTATEs worth retrying: the transaction was rolled back by the server (serialization
 * failure, deadlock) or the session went away (shutdown, too many connections). Class 08
 * (connection exception) is matched by prefix below.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
  '57P01', // admin_shutdown (pg_terminate_backend, server restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
]);

/**
 * SQLSTATEs of a transaction the server rolled back: when COMMIT fails with one, nothing was
 * committed. SSI reports a serialization failure at COMMIT ("during commit attempt") when
 * the conflicting writes were all made before either transaction committed.
 */
const ROLLED_BACK_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

/** True when the error says the server rolled the transaction back (see above). */
export function isRolledBack(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && ROLLED_BACK_SQLSTATES.has(code);
}

/** Classifies a `pg` error by its SQLSTATE (`err.code`), or a socket error by its node code. */
export function classifyDatabaseError(err: unknown): DatabaseErrorKind {
  const code = errorCode(err);
  if (code === undefined) {
    return 'other';
  }

  switch (code) {
    case '23505':
      return 'unique_violation';
    case '23503':
      return 'foreign_key_violation';
    case '23514':
      return 'check_violation';
  }

  if (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08') || NETWORK_ERROR_CODES.has(code)) {
    return 'transient';
  }

  return code === CONNECTION_LOST_CODE ? 'transient' : 'other';
}
