import type { Kysely, Migration } from 'kysely';

import type { DialectName } from '../dialect-name.js';
import { longText, text, timestamp } from './column-types.js';

/**
 * The first answer to each `Idempotency-Key`, per user and operation. The primary key is
 * what makes a second record for one key impossible, whatever the code does: a concurrent
 * request with the same key fails its insert and answers with the winner's record.
 *
 * On SQL Server the key columns take 4 + 2 * 50 + 2 * 255 = 614 bytes, within the 900-byte
 * limit of a clustered index key. There is no foreign key to users: a record lives 24 h at
 * most and is only ever read by its full key.
 */
export function idempotencyKeys(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('user_id', 'integer', (col) => col.notNull())
        .addColumn('operation', text(dialect, 50), (col) => col.notNull())
        .addColumn('idempotency_key', text(dialect, 255), (col) => col.notNull())
        // SHA-256 of the request, hex: a retry must match it to be answered from the record.
        .addColumn('request_hash', text(dialect, 64), (col) => col.notNull())
        .addColumn('status', 'integer', (col) => col.notNull())
        .addColumn('response_body', longText(dialect))
        .addColumn('location', text(dialect, 200))
        // JSON array of the cache keys the first answer made stale, dropped again on replay.
        .addColumn('invalidate_keys', longText(dialect), (col) => col.notNull())
        .addColumn('created_at', timestamp(dialect), (col) => col.notNull())
        .addColumn('expires_at', timestamp(dialect), (col) => col.notNull())
        .addPrimaryKeyConstraint('pk_idempotency_keys', ['user_id', 'operation', 'idempotency_key'])
        .execute();

      // The purge deletes by expiry.
      await db.schema
        .createIndex('ix_idempotency_keys_expires_at')
        .on('idempotency_keys')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('idempotency_keys').execute();
    },
  };
}
