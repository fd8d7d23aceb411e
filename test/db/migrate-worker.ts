import { parentPort, workerData } from 'node:worker_threads';

import { openDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/**
 * Worker-thread entry for migrations.test.ts: migrates the database at `workerData.url` and
 * posts the names it applied. SQLite's lock can only be contended across threads (or
 * processes): better-sqlite3 is synchronous, so a busy wait in the thread that holds the
 * lock would wait for itself.
 */
const { url } = workerData as { url: string };
const handle = await openDatabase(url, { poolSize: 1 });
try {
  parentPort?.postMessage({ applied: await migrateToLatest(handle) });
} finally {
  await handle.close();
}
