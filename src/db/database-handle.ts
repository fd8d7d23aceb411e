import type { Kysely } from 'kysely';

import type { DialectName } from './dialect-name.js';
import type { DatabaseSchema } from './schema.js';

/** An open database: the Kysely instance, which dialect it speaks, and its lifecycle. */
export interface DatabaseHandle {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  /** Runs `select 1`; rejects when the database cannot be reached. */
  ping(): Promise<void>;
  /** Closes every pooled connection; the handle is unusable afterwards. */
  close(): Promise<void>;
}
