import { type Migration, type MigrationProvider, Migrator } from 'kysely';

import type { DatabaseHandle } from './database-handle.js';
import type { DialectName } from './dialect-name.js';
import { classifyDatabaseError } from './error-classifier.js';
import { initialSchema } from './migrations/0001-initial-schema.js';
import { idempotencyKeys } from './migrations/0002-idempotency-keys.js';
import { DEFAULT_RETRY_OPTIONS, withRetry } from './retry.js';

/**
 * Every migration, by name; names sort in the order they run. Listed here rather than
 * discovered on disk, so the build output needs no migration folder and nothing unexpected
 * can run.
 */
function migrationsFor(dialect: DialectName): Record<string, Migration> {
  return {
    '0001_initial_schema': initialSchema(dialect),
    '0002_idempotency_keys': idempotencyKeys(dialect),
  };
}

function createMigrator(handle: DatabaseHandle): Migrator {
  const provider: MigrationProvider = {
    getMigrations: () => Promise.resolve(migrationsFor(handle.dialect)),
  };

  return new Migrator({ db: handle.db, provider });
}

/**
 * Applies every pending migration and returns the names applied (none when current). Safe
 * to run from several processes at once: Kysely's Migrator holds a database lock while it
 * reads the migration state and migrates (pg_advisory_lock on PostgreSQL, sp_getapplock on
 * SQL Server, the write lock of a BEGIN IMMEDIATE transaction on SQLite), so the others
 * wait and then find nothing to do. A transient failure (say, SQLITE_BUSY after another
 * process migrated for longer than busy_timeout) runs the whole step again.
 */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const migrator = createMigrator(handle);

  try {
    return await withRetry(
      async () => {
        const { error, results } = await migrator.migrateToLatest();
        if (error !== undefined) {
          // Driver errors are Errors; Kysely's SQL Server driver may hand over an array.
          throw error instanceof Error
            ? error
            : new AggregateError([error].flat(), 'Migration failed');
        }

        return (results ?? [])
          .filter((result) => result.status === 'Success')
          .map((result) => result.migrationName);
      },
      { ...DEFAULT_RETRY_OPTIONS, classify: (err) => classifyDatabaseError(err, handle.dialect) },
    );
  } catch (error) {
    throw new Error('Database migration failed', { cause: error });
  }
}

/** Names of the migrations not yet applied: empty when the schema is current. */
export async function listPendingMigrations(handle: DatabaseHandle): Promise<string[]> {
  const migrations = await createMigrator(handle).getMigrations();
  return migrations
    .filter((migration) => migration.executedAt === undefined)
    .map((migration) => migration.name);
}
