import { loadConfig, redactUrl } from './config.js';
import { openDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';

/** `npm run migrate`: applies pending migrations under the database's migration lock. */
async function main(): Promise<void> {
  const config = loadConfig();
  const handle = await openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    await migrateToLatest(handle);
    process.stdout.write(`Migrations applied to ${redactUrl(config.databaseUrl)}\n`);
  } finally {
    await handle.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Migration failed: ${String(error)}\n`);
  process.exit(1);
});
