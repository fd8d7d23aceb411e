import { type Dialect, Kysely, sql } from 'kysely';

import type { DatabaseHandle } from './database-handle.js';
import type { DialectName } from './dialect-name.js';
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
}

/**
 * Opens the database named by `url`, choosing the dialect by scheme:
 * `sqlite:<path>` / `sqlite::memory:`, `postgres://` / `postgresql://`,
 * `sqlserver://` / `mssql://`. Nothing is queried until first use (`ping` to check).
 */
export async function openDatabase(
  url: string,
  options: OpenDatabaseOptions,
): Promise<DatabaseHandle> {
  const dialect = dialectOfUrl(url);
  const dialectOptions = {
    poolSize: options.poolSize,
    onConnectionError: options.onConnectionError ?? (() => undefined),
  };

  const kyselyDialect: Dialect =
    dialect === 'sqlite'
      ? createSqliteDialect(url)
      : dialect === 'postgres'
        ? createPostgresDialect(url, dialectOptions)
        : createMssqlDialect(url, dialectOptions);
  const db = new Kysely<DatabaseSchema>({ dialect: kyselyDialect });

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

/** The dialect a database URL selects; throws for any other scheme. */
export function dialectOfUrl(url: string): DialectName {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite':
      return 'sqlite';
    case 'postgres':
    case 'postgresql':
      return 'postgres';
    case 'sqlserver':
    case 'mssql':
      return 'mssql';
    default:
      throw new Error(
        `Unsupported database URL scheme "${scheme ?? ''}": use sqlite:, postgres://, postgresql://, sqlserver:// or mssql://`,
      );
  }
}
