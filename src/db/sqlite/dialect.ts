import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

const MEMORY = ':memory:';

/**
 * SQLite through better-sqlite3: one connection per handle (Kysely serialises its use), WAL
 * so readers never wait for the writer, foreign keys on, a 5 s busy timeout before
 * SQLITE_BUSY, and synchronous=NORMAL (durable at checkpoints; the WAL-mode default trade).
 *
 * `url` is `sqlite:<path>` with the path relative to the working directory (its folder is
 * created), or `sqlite::memory:`.
 */
export function createSqliteDialect(url: string): SqliteDialect {
  const database = openSqliteFile(sqlitePath(url));
  return new ImmediateTransactionSqliteDialect({ database });
}

/** The file path of a `sqlite:` URL, resolved against the working directory. */
export function sqlitePath(url: string): string {
  const path = url.slice('sqlite:'.length);
  if (path === '') {
    throw new Error('The SQLite database URL has no path: use sqlite:<file> or sqlite::memory:');
  }

  return path === MEMORY ? MEMORY : resolve(process.cwd(), path);
}

function openSqliteFile(path: string): Database.Database {
  if (path !== MEMORY) {
    mkdirSync(dirname(path), { recursive: true });
  }

  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('synchronous = NORMAL');

  // SQLite's built-in lower() folds ASCII only; JavaScript's folds all of Unicode, as
  // PostgreSQL and SQL Server do, so filters match `É` with `é` on every dialect.
  // Application-defined functions may override built-ins (sqlite.org/appfunc.html).
  database.function('lower', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  );

  return database;
}

/**
 * Every transaction here writes, so it starts with BEGIN IMMEDIATE, taking the write lock
 * up front. With a deferred BEGIN, two transactions that both read and then write can
 * deadlock on the lock upgrade, and SQLite then answers SQLITE_BUSY at once without
 * honouring busy_timeout.
 */
class ImmediateTransactionSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class ImmediateTransactionSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Kysely's SQLite adapter runs migrations outside a transaction and takes no lock, so two
 * processes starting together could both apply the same migration. SQLite's DDL is
 * transactional, so the migrator may read its state and migrate inside one BEGIN IMMEDIATE
 * transaction: the database write lock then serialises migrators across processes.
 * Limitation: a future migration that rebuilds a table must switch `foreign_keys` off,
 * which SQLite ignores inside a transaction; it would need the Migrator's
 * `disableTransactions` and a lock of its own.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
