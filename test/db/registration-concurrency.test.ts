import * as assert from 'uvu/assert';

import { classifyDatabaseError } from '../../src/db/error-classifier.js';
import type { DatabaseErrorKind } from '../../src/db/error-kind.js';
import { toDatabaseDate } from '../../src/domain/dates.js';
import { NOW, type DbFixture, dialectSuites, eventBody } from './db-fixture.js';

async function participants(fixture: DbFixture, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(await fixture.participant());
  return ids;
}

async function seatsOf(fixture: DbFixture, eventId: number) {
  return fixture.db
    .selectFrom('registrations')
    .select(['participant_id', 'seat', 'seat_limit'])
    .where('event_id', '=', eventId)
    .orderBy('seat')
    .execute();
}

/** Runs a statement that must be refused by the database, and returns the error's kind. */
async function refusedAs(
  fixture: DbFixture,
  statement: () => Promise<unknown>,
): Promise<DatabaseErrorKind> {
  try {
    await statement();
  } catch (error) {
    return classifyDatabaseError(error, fixture.handle.dialect);
  }

  assert.unreachable('the database accepted the statement');
  return 'other';
}

await dialectSuites(
  'registration under concurrency',
  (test, fixture) => {
    test('200 simultaneous registrations on 10 seats: exactly 10 succeed, 190 are EVENT_FULL', async () => {
      const eventId = await fixture.event(undefined, { capacity: 10 });
      const people = await participants(fixture, 200);

      const results = await Promise.all(
        people.map((participantId) =>
          fixture.run('participant.register', { params: { eventId, participantId } }),
        ),
      );

      const codes = results.map((result) => (result.ok ? 'OK' : result.code));
      assert.is(codes.filter((code) => code === 'OK').length, 10);
      assert.is(codes.filter((code) => code === 'EVENT_FULL').length, 190);
      const rows = await seatsOf(fixture, eventId);
      assert.equal(
        rows.map((row) => row.seat),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.is(new Set(rows.map((row) => row.participant_id)).size, 10);
    });

    test('the same participant registered 50 times at once: one row, every answer 200', async () => {
      const eventId = await fixture.event(undefined, { capacity: 10 });
      const [participantId = 0] = await participants(fixture, 1);

      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          fixture.run('participant.register', { params: { eventId, participantId } }),
        ),
      );

      assert.ok(results.every((result) => result.ok && result.status === 200));
      assert.equal(await seatsOf(fixture, eventId), [
        { participant_id: participantId, seat: 1, seat_limit: 10 },
      ]);
    });

    test('capacity changes racing registrations never leave more rows than seats', async () => {
      const organizerId = await fixture.organizer();
      const eventId = await fixture.event(organizerId, { capacity: 20 });
      const people = await participants(fixture, 40);
      const capacities = [15, 8, 30, 5, 12];

      const results = await Promise.all([
        ...people.map((participantId) =>
          fixture.run('participant.register', { params: { eventId, participantId } }),
        ),
        ...capacities.map((capacity) =>
          fixture.run('event.update', {
            params: { id: eventId },
            body: eventBody(organizerId, { capacity }),
          }),
        ),
      ]);

      for (const result of results) {
        if (!result.ok)
          assert.ok(
            ['EVENT_FULL', 'CAPACITY_BELOW_REGISTRATIONS'].includes(result.code),
            result.code,
          );
      }

      const event = await fixture.db
        .selectFrom('events')
        .select(['capacity', 'seat_limit'])
        .where('id', '=', eventId)
        .executeTakeFirstOrThrow();
      const rows = await seatsOf(fixture, eventId);
      assert.ok(
        rows.length <= (event.capacity ?? Infinity),
        `${rows.length} rows for ${event.capacity} seats`,
      );
      for (const row of rows) {
        assert.ok(row.seat >= 1 && row.seat <= event.seat_limit);
        assert.is(row.seat_limit, event.seat_limit);
      }
    });

    test('the database itself refuses an INSERT that would overbook or double-book', async () => {
      const eventId = await fixture.event(undefined, { capacity: 2 });
      const [a, b, c] = await participants(fixture, 3);
      const at = toDatabaseDate(NOW, fixture.handle.dialect);
      const insert =
        (participant_id: number | undefined, seat: number, seat_limit = 2) =>
        () =>
          fixture.db
            .insertInto('registrations')
            .values({
              event_id: eventId,
              participant_id: participant_id ?? 0,
              seat,
              seat_limit,
              registered_at: at,
            })
            .execute();

      await insert(a, 1)();
      await insert(b, 2)();

      // SQL Server reports CHECK and FOREIGN KEY conflicts with one number (547).
      const checkKind =
        fixture.handle.dialect === 'mssql' ? 'foreign_key_violation' : 'check_violation';
      assert.is(await refusedAs(fixture, insert(c, 3)), checkKind, 'a third seat above the limit');
      assert.is(await refusedAs(fixture, insert(c, 0)), checkKind, 'seat 0');
      assert.is(await refusedAs(fixture, insert(c, 2)), 'unique_violation', 'a seat already taken');
      assert.is(
        await refusedAs(fixture, insert(a, 3, 3)),
        'unique_violation',
        'the same participant twice',
      );
      assert.is(
        await refusedAs(fixture, insert(c, 3, 2_147_483_647)),
        'foreign_key_violation',
        "a seat limit that is not the event's",
      );
      assert.is(
        await refusedAs(fixture, () =>
          fixture.db
            .updateTable('events')
            .set({ capacity: 1, seat_limit: 1 })
            .where('id', '=', eventId)
            .execute(),
        ),
        checkKind,
        'lowering the limit below a held seat (the cascade meets the seat check)',
      );
      assert.is(
        await refusedAs(fixture, () =>
          fixture.db.updateTable('events').set({ capacity: 5 }).where('id', '=', eventId).execute(),
        ),
        checkKind,
        'a capacity that disagrees with the seat limit',
      );

      assert.is((await seatsOf(fixture, eventId)).length, 2);
    });
  },
  { poolSize: 10 },
);
