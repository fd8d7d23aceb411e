import * as assert from 'uvu/assert';

import { classifyDatabaseError } from '../../src/db/error-classifier.js';
import { IdempotencyKeyTakenError } from '../../src/db/idempotency-key-taken-error.js';
import {
  type IdempotencyKeyRef,
  type IdempotencyRecord,
  deleteExpiredIdempotencyRecord,
  findIdempotencyRecord,
  insertIdempotencyRecord,
  purgeExpiredIdempotencyRecords,
} from '../../src/db/idempotency-repository.js';
import type { QueryContext } from '../../src/db/query-context.js';
import { NOW, dialectSuites, nextNumber } from './db-fixture.js';

const HOUR_MS = 3600_000;

function ref(userId = 1): IdempotencyKeyRef {
  return { userId, operation: 'participant.create', key: `key-${nextNumber()}` };
}

function record(expiresInMs: number): IdempotencyRecord {
  return {
    requestHash: 'a'.repeat(64),
    status: 201,
    responseBody: JSON.stringify({ id: 7, name: 'Zoë 🎟', email: 'zoe@example.com' }),
    location: '/participant/7',
    invalidate: ['eventflow:v1:statistics'],
    createdAt: NOW,
    expiresAt: new Date(NOW.getTime() + expiresInMs),
  };
}

async function countRecords(q: QueryContext): Promise<number> {
  const row = await q.db
    .selectFrom('idempotency_keys')
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

await dialectSuites('idempotency repository', (test, fixture) => {
  const q = (): QueryContext => ({ db: fixture.db, dialect: fixture.ctx.dialect });

  test('finds a record as it was stored: body text, Location, cache keys and times', async () => {
    const key = ref();
    const stored = record(24 * HOUR_MS);
    await insertIdempotencyRecord(q(), key, stored);

    assert.equal(await findIdempotencyRecord(q(), key), stored);
    assert.is(await findIdempotencyRecord(q(), { ...key, userId: 2 }), null, 'per user');
    assert.is(await findIdempotencyRecord(q(), { ...key, operation: 'event.create' }), null);
  });

  test('a second record of one key fails as IdempotencyKeyTakenError, not as a constraint', async () => {
    const key = ref();
    await insertIdempotencyRecord(q(), key, record(HOUR_MS));

    let caught: unknown = null;
    try {
      await insertIdempotencyRecord(q(), key, record(2 * HOUR_MS));
    } catch (error) {
      caught = error;
    }

    assert.instance(caught, IdempotencyKeyTakenError);
    assert.is(classifyDatabaseError(caught, fixture.ctx.dialect), 'other');
    assert.is(classifyDatabaseError((caught as Error).cause), 'unique_violation');
  });

  test('deleting an expired record leaves a live one alone', async () => {
    const live = ref();
    const expired = ref();
    await insertIdempotencyRecord(q(), live, record(HOUR_MS));
    await insertIdempotencyRecord(q(), expired, record(-HOUR_MS));

    await deleteExpiredIdempotencyRecord(q(), live, NOW);
    await deleteExpiredIdempotencyRecord(q(), expired, NOW);

    assert.ok((await findIdempotencyRecord(q(), live)) !== null, 'the live record stays');
    assert.is(await findIdempotencyRecord(q(), expired), null, 'the expired record is gone');
  });

  test('a purge deletes at most its limit of expired records, and never a live one', async () => {
    await fixture.db.deleteFrom('idempotency_keys').execute();
    for (let i = 0; i < 7; i++) await insertIdempotencyRecord(q(), ref(i), record(-i - 1));
    for (let i = 0; i < 3; i++) await insertIdempotencyRecord(q(), ref(i), record(HOUR_MS));

    const batches = [
      await purgeExpiredIdempotencyRecords(q(), NOW, 5),
      await purgeExpiredIdempotencyRecords(q(), NOW, 5),
      await purgeExpiredIdempotencyRecords(q(), NOW, 5),
    ];

    assert.equal(batches, [5, 2, 0]);
    assert.is(await countRecords(q()), 3, 'the live records remain');
  });
});
