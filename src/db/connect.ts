import { type Dialect, Kysely, sql } from 'kysely';

import type { DatabaseHandle } from './database-handle.js';
import type { DialectName } from './dialect-name.js';
import type { DialectOptions } from './dialect-options.js';
import { createMssqlDialect } from './mssql/dialect.js';
import { createPostgresDialect } from './postgres/dialect.js';
import type { DatabaseSchema } from './schema.js';
import { createSqliteDialect } from './sqlite/dialect.js';

export type { DatabaseHandle } from './database-handle.js';
export type { DialectName } from './dialect-name.js';

export interface OpenDatabaseOptions {
  /** Most pooled connections (PostgreSQL, SQL Server); SQLite uses one per handle. */
  poolSize: number;
  /** Told about connection errors no query is waiting for; default: ignored. */
  onConnectionError?: (err: unknown) => void;
  /** Told when the breaker in front of new connections changes state (PostgreSQL). */
  onBreakerChange?: DialectOptions['onBreakerChange'];
  /** Wraps the dialect, e.g. for query spans and pool metrics (src/telemetry); default: none. */
  instrument?: (dialect: Dialect, name: DialectName) => Dialect;
}

/**
 * Opens the database named by `url`, choosing the dialect by scheme:
 * `sqlite:<path>` / `sqlite::memory:`, `postgres://` / `postgresql://`,
 * `sqlserver://` / `mssql://`. Server connections are made on first use (`ping` to check);
 * a SQLite file is opened at once.
 */
export function openDatabase(url: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  // A synchronous failure (bad URL, unwritable SQLite path) becomes a rejection.
  return new Promise((resolve) => resolve(createHandle(url, options)));
}

function createHandle(url: string, options: OpenDatabaseOptions): DatabaseHandle {
  const dialect = dialectOfUrl(url);
  const dialectOptions: DialectOptions = {
    poolSize: options.poolSize,
    onConnectionError: options.onConnectionError ?? (() => undefined),
    onBreakerChange: options.onBreakerChange,
  };

  const kyselyDialect: Dialect =
    dialect === 'sqlite'
      ? createSqliteDialect(url)
      : dialect === 'postgres'
        ? createPostgresDialect(url, dialectOptions)
        : createMssqlDialect(url, dialectOptions);
  const db = new Kysely<DatabaseSchema>({
    dialect: options.instrument?.(kyselyDialect, dialect) ?? kyselyDialect,
  });

  return {
    db,
    dialect,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

const DIALECT_BY_SCHEME: ReadonlyMap<string, DialectName> = new Map([
  ['sqlite', 'sqlite'],
  ['postgres', 'postgres'],
  ['postgresql', 'postgres'],
  ['sqlserver', 'mssql'],
  ['mssql', 'mssql'],
]);

/** The dialect a database URL selects; throws for any other scheme (never echoing the URL). */
export function dialectOfUrl(url: string): DialectName {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
  const dialect = DIALECT_BY_SCHEME.get(scheme);
  if (dialect === undefined) {
    throw new Error(
      `Unsupported database URL scheme "${scheme}": use sqlite:, postgres://, postgresql://, sqlserver:// or mssql://`,
    );
  }

  return dialect;
}
