import type { Kysely } from 'kysely';

import type { DialectName } from './dialect-name.js';
import type { DatabaseSchema } from './schema.js';

/**
 * What a repository function needs: something to query (the database, or a transaction,
 * which is a Kysely too) and the dialect, for the few places SQL differs (dates, inserted
 * ids, paging).
 */
export interface QueryContext {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
}
