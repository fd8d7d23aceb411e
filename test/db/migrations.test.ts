import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { type DatabaseHandle, openDatabase } from '../../src/db/connect.js';
import { listPendingMigrations, migrateToLatest } from '../../src/db/migrate.js';
import { availableDialects } from '../support/dialects.js';

const TABLES = [
  'event_speakers',
  'events',
  'idempotency_keys',
  'organizers',
  'participants',
  'registrations',
  'speakers',
  'users',
];

/** Migrates in a worker thread (compiled file, found from the repository root). */
function migrateInWorker(url: string): Promise<string[]> {
  const file = join(process.cwd(), 'dist', 'test', 'db', 'migrate-worker.js');
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: { url } });
    worker.once('message', (message: { applied: string[] }) => resolve(message.applied));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`migration worker exited with ${code}`));
    });
  });
}

async function tableNames(handle: DatabaseHandle): Promise<string[]> {
  const tables = await handle.db.introspection.getTables();
  return tables
    .map((table) => table.name)
    .filter((name) => TABLES.includes(name))
    .sort();
}

for (const dialect of await availableDialects()) {
  const test = suite(`migrateToLatest [${dialect.name}]`);
  const handles: DatabaseHandle[] = [];
  const open = async () => {
    const handle = await openDatabase(dialect.url, { poolSize: 2 });
    handles.push(handle);
    return handle;
  };

  test.after(async () => {
    await Promise.all(handles.map((handle) => handle.close()));
    await dialect.cleanup();
  });

  test('applies the schema from two handles at once without error, exactly once', async () => {
    const applied =
      dialect.name === 'sqlite'
        ? await Promise.all([migrateInWorker(dialect.url), migrateInWorker(dialect.url)])
        : await Promise.all([migrateToLatest(await open()), migrateToLatest(await open())]);

    assert.equal(
      applied.flat(),
      ['0001_initial_schema', '0002_idempotency_keys'],
      'one migrator applied it, the other waited',
    );
  });

  test('creates every table', async () => {
    assert.equal(await tableNames(await open()), TABLES);
  });

  test('is idempotent: running again applies nothing', async () => {
    const handle = await open();
    assert.equal(await migrateToLatest(handle), []);
    assert.equal(await migrateToLatest(handle), []);
    assert.equal(await listPendingMigrations(handle), []);
  });

  test.run();
}
