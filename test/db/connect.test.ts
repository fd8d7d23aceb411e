import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { dialectOfUrl, openDatabase } from '../../src/db/connect.js';
import { classifyDatabaseError } from '../../src/db/error-classifier.js';
import { parseSqlServerUrl } from '../../src/db/mssql/sql-server-url.js';
import { withRetry } from '../../src/db/retry.js';
import { runInTransaction } from '../../src/db/transaction.js';
import { availableDialects } from '../support/dialects.js';

// Discover first: uvu runs its queue once the current task ends, so every suite must be
// defined after the only await. This file needs only the PostgreSQL database.
const dialects = await availableDialects();
for (const unused of dialects.filter((d) => d.name !== 'postgres')) {
  await unused.cleanup();
}

const urls = suite('database URLs');

urls('choose the dialect by scheme', () => {
  assert.is(dialectOfUrl('sqlite:data/eventflow.db'), 'sqlite');
  assert.is(dialectOfUrl('sqlite::memory:'), 'sqlite');
  assert.is(dialectOfUrl('postgres://u@h/db'), 'postgres');
  assert.is(dialectOfUrl('postgresql://u@h/db'), 'postgres');
  assert.is(dialectOfUrl('sqlserver://u:p@h:1433/db'), 'mssql');
  assert.is(dialectOfUrl('MSSQL://u:p@h/db'), 'mssql');
});

urls('reject an unknown scheme clearly, without echoing the URL', () => {
  for (const url of ['mysql://root:hunter2@h/db', 'data/eventflow.db', '']) {
    assert.throws(
      () => dialectOfUrl(url),
      (error: Error) =>
        error.message.includes('Unsupported database URL scheme') &&
        !error.message.includes('hunter2'),
    );
  }
});

urls('parse a SQL Server URL into tedious options', () => {
  const config = parseSqlServerUrl(
    'sqlserver://sa:p%40ss%3Aword@db.example:14330/event%20flow?encrypt=true&trustServerCertificate=true&requestTimeout=30000',
  );

  assert.is(config.server, 'db.example');
  assert.equal(config.authentication, {
    type: 'default',
    options: { userName: 'sa', password: 'p@ss:word' },
  });
  assert.equal(config.options, {
    encrypt: true,
    trustServerCertificate: true,
    useUTC: true,
    abortTransactionOnError: true,
    appName: 'eventflow',
    database: 'event flow',
    requestTimeout: 30000,
    port: 14330,
  });
});

urls('default to an encrypted, verified connection on port 1433', () => {
  const config = parseSqlServerUrl('mssql://sa:secret@localhost/eventflow');
  assert.equal(
    [config.options?.encrypt, config.options?.trustServerCertificate, config.options?.port],
    [true, false, 1433],
  );
});

urls('reject unknown or malformed SQL Server options', () => {
  assert.throws(() => parseSqlServerUrl('sqlserver://sa:x@h/db?encrypt=yes'), /encrypt/);
  assert.throws(
    () => parseSqlServerUrl('sqlserver://sa:x@h/db?encrpyt=true'),
    /Unknown SQL Server URL option "encrpyt"/,
  );
  assert.throws(
    () => parseSqlServerUrl('sqlserver://sa:x@h/db?connectTimeout=-1'),
    /connectTimeout/,
  );
});

const sqlite = suite('SQLite connection');

sqlite('opens an in-memory database for tests', async () => {
  const handle = await openDatabase('sqlite::memory:', { poolSize: 1 });
  await handle.ping();
  await handle.close();
});

sqlite('resolves a relative path from the working directory and creates its folder', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'eventflow-connect-'));
  const previous = process.cwd();
  process.chdir(folder);
  try {
    const handle = await openDatabase('sqlite:nested/dir/eventflow.db', { poolSize: 1 });
    await handle.ping();
    await handle.close();
    assert.ok(existsSync(join(folder, 'nested', 'dir', 'eventflow.db')));
  } finally {
    process.chdir(previous);
    rmSync(folder, { recursive: true, force: true });
  }
});

sqlite('turns on WAL, foreign keys, a 5 s busy timeout and synchronous=NORMAL', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'eventflow-connect-'));
  const handle = await openDatabase(`sqlite:${join(folder, 'pragmas.db')}`, { poolSize: 1 });
  try {
    const pragma = async (name: string) => {
      const result = await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(
        handle.db,
      );
      return Object.values(result.rows[0] ?? {})[0];
    };
    assert.equal(
      [
        await pragma('journal_mode'),
        await pragma('foreign_keys'),
        await pragma('busy_timeout'),
        await pragma('synchronous'),
      ],
      ['wal', 1, 5000, 1],
    );
  } finally {
    await handle.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

urls.run();
sqlite.run();

for (const dialect of dialects.filter((d) => d.name === 'postgres')) {
  const test = suite(`pooled connections killed by the server [${dialect.name}]`);

  test('are reported, never crash the process, and reads and transactions recover', async () => {
    const errors: unknown[] = [];
    const handle = await openDatabase(dialect.url, {
      poolSize: 4,
      onConnectionError: (e) => errors.push(e),
    });
    const killer = await openDatabase(dialect.url, { poolSize: 1 });
    const read = () =>
      withRetry(() => sql`select 1 as one`.execute(handle.db), {
        attempts: 5,
        baseDelayMs: 20,
        maxDelayMs: 100,
        classify: (error) => classifyDatabaseError(error, 'postgres'),
      });

    const transaction = () =>
      withRetry(() => runInTransaction(handle.db, (trx) => sql`select 1 as one`.execute(trx)), {
        attempts: 5,
        baseDelayMs: 20,
        maxDelayMs: 100,
        classify: (error) => classifyDatabaseError(error, 'postgres'),
      });

    try {
      for (let round = 0; round < 5; round++) {
        await Promise.all([read(), read(), read(), read()]);
        await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(
          killer.db,
        );
        const results = await Promise.all([read(), read(), transaction()]);
        assert.ok(results.every((result) => result.rows.length === 1));
      }

      assert.ok(errors.length > 0, 'the idle connections reported their termination');
    } finally {
      await handle.close();
      await killer.close();
      await dialect.cleanup();
    }
  });

  test.run();
}
