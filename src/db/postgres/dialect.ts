import { PostgresDialect } from 'kysely';
import pg from 'pg';

import type { DialectOptions } from '../dialect-options.js';

/** Longest wait for a pooled connection (or a new one) before the query fails. */
const CONNECTION_TIMEOUT_MS = 10_000;
/** Idle connections are closed after this long. */
const IDLE_TIMEOUT_MS = 30_000;

/**
 * PostgreSQL through a `pg` Pool of `poolSize` connections. `url` is passed to pg as its
 * connection string (`postgres://user:pass@host:5432/db?sslmode=require`).
 */
export function createPostgresDialect(url: string, options: DialectOptions): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    application_name: 'eventflow',
  });

  // An idle client that errors (server restart, pg_terminate_backend) is reported here;
  // without a listener the 'error' event would crash the process. The pool drops it.
  pool.on('error', options.onConnectionError);

  // The pool listens for errors only while a client is idle. A client checked out between
  // two statements of a transaction can lose its server too; the next statement then
  // fails normally, but the 'error' event needs a listener of its own.
  pool.on('connect', (client) => {
    client.on('error', options.onConnectionError);
  });

  return new PostgresDialect({ pool });
}
