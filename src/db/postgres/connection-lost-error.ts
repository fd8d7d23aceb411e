/**
 * A query failed because its connection had dropped, or no connection could be had in
 * time. pg rejects such queries with a plain Error carrying no code ("Connection terminated
 * unexpectedly", "... not queryable", "timeout exceeded when trying to connect"), so
 * dialect.ts recognises them from the client's own 'error'/'end' events or from the failed
 * checkout instead and gives them this code, which the classifier treats as transient.
 */
export const CONNECTION_LOST_CODE = 'EVENTFLOW_PG_CONNECTION_LOST';

export class PostgresConnectionLostError extends Error {
  readonly code = CONNECTION_LOST_CODE;

  constructor(cause: unknown) {
    super('The PostgreSQL connection was lost', { cause });
    this.name = 'PostgresConnectionLostError';
  }
}
