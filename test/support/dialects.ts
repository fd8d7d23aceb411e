import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sql } from 'kysely';

import { openDatabase } from '../../src/db/connect.js';
import type { DialectName } from '../../src/db/dialect-name.js';

/** A fresh, empty database on one dialect, and how to remove it. */
export interface TestDialect {
  name: DialectName;
  url: string;
  cleanup(): Promise<void>;
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * One fresh database per available dialect, each call new ones:
 * - SQLite always: a file in a new folder under the OS temp dir;
 * - PostgreSQL when reachable at TEST_POSTGRES_URL (default postgres@127.0.0.1:5432): a new
 *   database `eventflow_test_<random>`. With REQUIRE_POSTGRES=1 an unreachable server is an
 *   error instead of a skip;
 * - SQL Server when MSSQL_URL is set: a new database likewise.
 * `cleanup` drops the database (or deletes the folder); call it once, after closing.
 */
export async function availableDialects(): Promise<TestDialect[]> {
  const dialects = [sqliteDialect()];

  const postgres = await postgresDialect();
  if (postgres !== null) {
    dialects.push(postgres);
  }

  const mssqlUrl = process.env['MSSQL_URL'];
  if (mssqlUrl !== undefined && mssqlUrl !== '') {
    dialects.push(await serverDialect('mssql', mssqlUrl));
  }

  return dialects;
}

/**
 * A fresh PostgreSQL database for suites about PostgreSQL itself (its sessions, its wire
 * protocol), or null, with a warning, when it is not available; with REQUIRE_POSTGRES=1 an
 * unavailable server fails instead (availableDialects).
 */
export async function postgresOnly(suiteName: string): Promise<TestDialect | null> {
  const dialects = await availableDialects();
  for (const other of dialects.filter((dialect) => dialect.name !== 'postgres')) {
    await other.cleanup();
  }
  const postgres = dialects.find((dialect) => dialect.name === 'postgres') ?? null;
  if (postgres === null) console.warn(`${suiteName}: PostgreSQL is not available, suite skipped`);
  return postgres;
}

/** A fresh SQLite file: for suites whose subject does not depend on the dialect. */
export function sqliteDialect(): TestDialect {
  const folder = mkdtempSync(join(tmpdir(), 'eventflow-test-'));

  return {
    name: 'sqlite',
    url: `sqlite:${join(folder, 'eventflow.db')}`,
    cleanup: () => {
      rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function postgresDialect(): Promise<TestDialect | null> {
  const adminUrl = process.env['TEST_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL;

  try {
    return await serverDialect('postgres', adminUrl);
  } catch (error) {
    if (process.env['REQUIRE_POSTGRES'] === '1') {
      throw new Error('PostgreSQL is required (REQUIRE_POSTGRES=1) but not reachable', {
        cause: error,
      });
    }

    console.warn(`PostgreSQL not reachable (${String(error)}): its suites are skipped`);
    return null;
  }
}

/** Creates a database through the server at `adminUrl` and returns a URL naming it. */
async function serverDialect(name: 'postgres' | 'mssql', adminUrl: string): Promise<TestDialect> {
  const database = `eventflow_test_${randomBytes(6).toString('hex')}`;
  await runAdmin(adminUrl, async (admin) => {
    await sql`create database ${sql.id(database)}`.execute(admin);
  });

  const url = new URL(adminUrl);
  url.pathname = `/${database}`;

  return {
    name,
    url: url.toString(),
    cleanup: () =>
      runAdmin(adminUrl, async (admin) => {
        // Close whatever connections the tests left behind, then drop.
        if (name === 'postgres') {
          await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`.execute(
            admin,
          );
        } else {
          await sql`alter database ${sql.id(database)} set single_user with rollback immediate`.execute(
            admin,
          );
        }

        await sql`drop database if exists ${sql.id(database)}`.execute(admin);
      }),
  };
}

async function runAdmin(
  adminUrl: string,
  work: (admin: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<void>,
): Promise<void> {
  const admin = await openDatabase(adminUrl, { poolSize: 1 });
  try {
    await work(admin.db);
  } finally {
    await admin.close();
  }
}
