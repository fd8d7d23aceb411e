/**
 * What a database error means to the code that caught it. Decided from driver error codes
 * only (SQLSTATE, SQL Server error numbers, SQLite extended codes), never from message text,
 * which varies by server version and language.
 */
export type DatabaseErrorKind =
  'unique_violation' | 'foreign_key_violation' | 'check_violation' | 'transient' | 'other';

/**
 * Node socket error codes that mean "the connection failed or dropped": worth another
 * attempt on a fresh connection, for every dialect that talks over the network.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** Reads a property of an unknown thrown value without trusting its shape. */
export function errorProperty(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null
    ? (err as Record<string, unknown>)[name]
    : undefined;
}

/** The `code` of a thrown value when it is a string (pg, better-sqlite3, tedious, node). */
export function errorCode(err: unknown): string | undefined {
  const code = errorProperty(err, 'code');
  return typeof code === 'string' ? code : undefined;
}
