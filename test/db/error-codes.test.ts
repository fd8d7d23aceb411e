import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CommitOutcomeUnknownError } from '../../src/db/commit-outcome-unknown-error.js';
import { classifyDatabaseError, isRolledBackTransaction } from '../../src/db/error-classifier.js';
import type { DatabaseErrorKind } from '../../src/db/error-kind.js';
import { classifyDatabaseError as classifyMssql } from '../../src/db/mssql/error-codes.js';
import { PostgresConnectionLostError } from '../../src/db/postgres/connection-lost-error.js';
import { classifyDatabaseError as classifyPostgres } from '../../src/db/postgres/error-codes.js';
import { classifyDatabaseError as classifySqlite } from '../../src/db/sqlite/error-codes.js';
import { backoffDelay, withRetry } from '../../src/db/retry.js';

/** An error shaped like the driver's: message text that must not matter, plus codes. */
function driverError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error('duplicate key deadlock connection reset (ignored)'), fields);
}

const POSTGRES: Array<[code: string, kind: DatabaseErrorKind]> = [
  ['23505', 'unique_violation'],
  ['23503', 'foreign_key_violation'],
  ['23514', 'check_violation'],
  ['40001', 'transient'],
  ['40P01', 'transient'],
  ['55P03', 'transient'],
  ['57P01', 'transient'],
  ['57P02', 'transient'],
  ['57P03', 'transient'],
  ['53300', 'transient'],
  ['08000', 'transient'],
  ['08003', 'transient'],
  ['08006', 'transient'],
  ['08001', 'transient'],
  ['ECONNRESET', 'transient'],
  ['ECONNREFUSED', 'transient'],
  ['EVENTFLOW_PG_CONNECTION_LOST', 'transient'],
  ['42P01', 'other'],
  ['22001', 'other'],
  ['23502', 'other'],
  ['28P01', 'other'],
];

const SQL_SERVER_NUMBERS: Array<[number: number, kind: DatabaseErrorKind]> = [
  [2627, 'unique_violation'],
  [2601, 'unique_violation'],
  [547, 'foreign_key_violation'],
  ...[
    1205, 49918, 49919, 49920, 4060, 4221, 40143, 40613, 40501, 40540, 40197, 10929, 10928, 10060,
    10054, 10053, 233, 121, 64, 20, -2,
  ].map((number): [number, DatabaseErrorKind] => [number, 'transient']),
  [208, 'other'],
  [8152, 'other'],
  [18456, 'other'],
];

const SQLITE: Array<[code: string, kind: DatabaseErrorKind]> = [
  ['SQLITE_CONSTRAINT_UNIQUE', 'unique_violation'],
  ['SQLITE_CONSTRAINT_PRIMARYKEY', 'unique_violation'],
  ['SQLITE_CONSTRAINT_FOREIGNKEY', 'foreign_key_violation'],
  ['SQLITE_CONSTRAINT_CHECK', 'check_violation'],
  ['SQLITE_BUSY', 'transient'],
  ['SQLITE_BUSY_SNAPSHOT', 'transient'],
  ['SQLITE_BUSY_TIMEOUT', 'transient'],
  ['SQLITE_LOCKED', 'transient'],
  ['SQLITE_LOCKED_SHAREDCACHE', 'transient'],
  ['SQLITE_CONSTRAINT_NOTNULL', 'other'],
  ['SQLITE_ERROR', 'other'],
  ['SQLITE_BUSYNESS', 'other'],
];

const classify = suite('classifyDatabaseError');

classify('maps PostgreSQL SQLSTATEs and socket codes', () => {
  for (const [code, kind] of POSTGRES) {
    assert.is(classifyPostgres(driverError({ code })), kind, code);
    assert.is(classifyDatabaseError(driverError({ code }), 'postgres'), kind, code);
  }
});

classify('maps SQL Server error numbers and tedious connection codes', () => {
  for (const [number, kind] of SQL_SERVER_NUMBERS) {
    const error = driverError({ number, code: 'EREQUEST' });
    assert.is(classifyMssql(error), kind, String(number));
    assert.is(classifyDatabaseError(error, 'mssql'), kind, String(number));
  }

  for (const code of ['ESOCKET', 'ECLOSE', 'ETIMEOUT', 'ECONNRESET']) {
    assert.is(classifyMssql(driverError({ code })), 'transient', code);
  }

  assert.is(classifyMssql(driverError({ code: 'ELOGIN' })), 'other');
});

classify('maps SQLite extended result codes', () => {
  for (const [code, kind] of SQLITE) {
    assert.is(classifySqlite(driverError({ code })), kind, code);
    assert.is(classifyDatabaseError(driverError({ code }), 'sqlite'), kind, code);
  }
});

classify('treats a PostgreSQL connection lost without a SQLSTATE as transient', () => {
  const lost = new PostgresConnectionLostError(new Error('Connection terminated unexpectedly'));
  assert.is(classifyDatabaseError(lost, 'postgres'), 'transient');
});

classify('ignores message text entirely', () => {
  const messages = [
    'duplicate key value violates unique constraint',
    'deadlock detected',
    'Connection terminated unexpectedly',
  ];
  for (const message of messages) {
    assert.is(classifyDatabaseError(new Error(message)), 'other', message);
  }
});

classify('looks inside the arrays and AggregateErrors SQL Server errors arrive in', () => {
  const deadlock = driverError({ number: 1205 });
  const info = driverError({ number: 3621 });
  assert.is(classifyDatabaseError([info, deadlock], 'mssql'), 'transient');
  assert.is(classifyDatabaseError(new AggregateError([info, deadlock]), 'mssql'), 'transient');
});

classify('without a dialect, recognises each dialect by its codes', () => {
  assert.is(classifyDatabaseError(driverError({ code: '23505' })), 'unique_violation');
  assert.is(classifyDatabaseError(driverError({ number: 2627 })), 'unique_violation');
  assert.is(classifyDatabaseError(driverError({ code: 'SQLITE_BUSY' })), 'transient');
  assert.is(classifyDatabaseError(null), 'other');
  assert.is(classifyDatabaseError('text'), 'other');
});

classify('does not follow cause: a commit of unknown outcome is its own kind', () => {
  const lost = new CommitOutcomeUnknownError(driverError({ code: '08006' }));
  assert.is(classifyDatabaseError(lost), 'other');
});

classify('knows a COMMIT refused with a rollback from one whose outcome is unknown', () => {
  for (const fields of [{ code: '40001' }, { code: '40P01' }, { number: 1205 }, { number: 3960 }]) {
    assert.ok(isRolledBackTransaction(driverError(fields)), JSON.stringify(fields));
  }
  for (const fields of [{ code: '57P01' }, { code: '08006' }, { code: 'ECONNRESET' }, {}]) {
    assert.not.ok(isRolledBackTransaction(driverError(fields)), JSON.stringify(fields));
  }
  assert.not.ok(isRolledBackTransaction(driverError({ code: 'SQLITE_BUSY' })));
});

const retry = suite('withRetry');
const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

retry('runs a transient failure again until it succeeds', async () => {
  let calls = 0;
  const result = await withRetry(() => {
    calls++;
    return calls < 3 ? Promise.reject(driverError({ code: '40P01' })) : Promise.resolve('done');
  }, FAST);

  assert.is(result, 'done');
  assert.is(calls, 3);
});

retry('gives up after the configured attempts with the last error', async () => {
  let calls = 0;
  const error = driverError({ code: 'SQLITE_BUSY' });
  try {
    await withRetry(() => {
      calls++;
      return Promise.reject(error);
    }, FAST);
    assert.unreachable('should have thrown');
  } catch (thrown) {
    assert.is(thrown, error);
  }

  assert.is(calls, 4);
});

retry('never retries constraint violations or unknown errors', async () => {
  for (const error of [driverError({ code: '23505' }), new Error('boom')]) {
    let calls = 0;
    await withRetry(() => {
      calls++;
      return Promise.reject(error);
    }, FAST).catch(() => undefined);
    assert.is(calls, 1);
  }
});

retry('never replays a commit whose outcome is unknown', async () => {
  let calls = 0;
  await withRetry(() => {
    calls++;
    return Promise.reject(new CommitOutcomeUnknownError(driverError({ code: 'ECONNRESET' })));
  }, FAST).catch(() => undefined);

  assert.is(calls, 1);
});

retry('starts no attempt past the deadline', async () => {
  let calls = 0;
  await withRetry(
    () => {
      calls++;
      return Promise.reject(driverError({ code: '40001' }));
    },
    { attempts: 10, baseDelayMs: 1000, maxDelayMs: 1000, deadline: Date.now() },
  ).catch(() => undefined);

  assert.is(calls, 1);
});

retry('draws each backoff within the capped exponential bound', () => {
  const options = { attempts: 10, baseDelayMs: 50, maxDelayMs: 400 };
  for (let attempt = 1; attempt <= 8; attempt++) {
    const bound = Math.min(400, 50 * 2 ** (attempt - 1));
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(attempt, options);
      assert.ok(delay >= 0 && delay <= bound, `attempt ${attempt}: ${delay} > ${bound}`);
    }
  }
});

classify.run();
retry.run();
