import { MssqlDialect } from 'kysely';
import * as Tarn from 'tarn';
import * as Tedious from 'tedious';

import type { DialectOptions } from '../dialect-options.js';
import { parseSqlServerUrl } from './sql-server-url.js';

/** Longest wait for a pooled connection before the query fails. */
const ACQUIRE_TIMEOUT_MS = 10_000;
/** Idle connections are closed after this long. */
const IDLE_TIMEOUT_MS = 30_000;

/**
 * SQL Server through Kysely's MssqlDialect over tedious, pooled by tarn (the driver and
 * pool the `mssql` package is built on). `url` is
 * `sqlserver://user:pass@host:port/database?encrypt=true&trustServerCertificate=true`
 * (or `mssql://`); see sql-server-url.ts for the options it accepts.
 */
export function createMssqlDialect(url: string, options: DialectOptions): MssqlDialect {
  const config = parseSqlServerUrl(url);

  return new MssqlDialect({
    tarn: {
      ...Tarn,
      options: {
        min: 0,
        max: options.poolSize,
        acquireTimeoutMillis: ACQUIRE_TIMEOUT_MS,
        idleTimeoutMillis: IDLE_TIMEOUT_MS,
      },
    },
    tedious: {
      ...Tedious,
      connectionFactory: () => {
        const connection = new Tedious.Connection(config);
        // Kysely attaches a listener too, but only once connected; ours covers the whole
        // life of the connection so a socket error can never be an unhandled 'error'.
        connection.on('error', options.onConnectionError);
        return connection;
      },
    },
  });
}
