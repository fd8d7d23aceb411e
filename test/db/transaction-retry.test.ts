/**
 * Deadlocks and serialization failures forced for real on PostgreSQL, run through the
 * project's own write path (writeWithRetry: withRetry around runInTransaction). The server
 * rolls one transaction back; it must run again whole, after a backoff, and commit.
 * PostgreSQL only: SQLite's single write lock cannot deadlock, and it has no SSI.
 */
import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { writeWithRetry } from '../../src/app/database-work.js';
import { type OperationResult, succeed } from '../../src/app/operation.js';
import type { QueryContext } from '../../src/db/query-context.js';
import { postgresOnly } from '../support/dialects.js';
import { DbFixture } from './db-fixture.js';

interface MeetingPoint {
  arrived: number;
  open: () => void;
  opened: Promise<void>;
}

/**
 * Meeting points for the first attempts of two transactions. A point opens when both have
 * arrived, or when one gives up (its attempt failed), so no attempt waits for a partner
 * that will never come.
 */
class Meeting {
  readonly #points = new Map<string, MeetingPoint>();
  #isAbandoned = false;

  arrive(point: string): Promise<void> {
    let entry = this.#points.get(point);
    if (entry === undefined) {
      let open: () => void = () => undefined;
      const opened = new Promise<void>((resolve) => (open = resolve));
      entry = { arrived: 0, open, opened };
      this.#points.set(point, entry);
    }

    entry.arrived++;
    if (entry.arrived >= 2 || this.#isAbandoned) entry.open();
    return entry.opened;
  }

  giveUp(): void {
    this.#isAbandoned = true;
    for (const entry of this.#points.values()) entry.open();
  }
}

/** A transaction body run by writeWithRetry, told which attempt it is. */
type Attempt = (q: QueryContext, attempt: number) => Promise<void>;

/** Runs `body` through writeWithRetry and returns how many attempts it took. */
async function runCounted(fixture: DbFixture, body: Attempt, meeting: Meeting): Promise<number> {
  let attempts = 0;
  const result: OperationResult = await writeWithRetry(fixture.ctx, async (q) => {
    attempts++;
    try {
      await body(q, attempts);
    } catch (error) {
      meeting.giveUp();
      throw error;
    }
    return succeed(204);
  });

  assert.ok(result.ok, 'the transaction committed');
  return attempts;
}

const postgres = await postgresOnly('transaction retry');

if (postgres !== null) {
  const fixture = new DbFixture(postgres, 4);
  const test = suite('transactions retried after deadlocks and serialization failures [postgres]');

  test.before(() => fixture.open());
  test.after(() => fixture.close());

  test('two transactions locking two rows in opposite order both commit after the deadlock', async () => {
    const first = await fixture.organizer('first');
    const second = await fixture.organizer('second');
    const meeting = new Meeting();
    const appendTo = (q: QueryContext, id: number, mark: string) =>
      q.db
        .updateTable('organizers')
        .set({ name: sql`name || ${mark}` })
        .where('id', '=', id)
        .execute();
    // Each holds its first row, waits until the other holds its own, then asks for it.
    const crossing =
      (from: number, to: number, mark: string): Attempt =>
      async (q, attempt) => {
        await appendTo(q, from, mark);
        if (attempt === 1) await meeting.arrive('both hold a row');
        await appendTo(q, to, mark);
      };

    const attempts = await Promise.all([
      runCounted(fixture, crossing(first, second, ' +a'), meeting),
      runCounted(fixture, crossing(second, first, ' +b'), meeting),
    ]);

    assert.ok(attempts[0] + attempts[1] >= 3, `one transaction ran again: ${attempts.join(', ')}`);
    const rows = await fixture.db
      .selectFrom('organizers')
      .select(['id', 'name'])
      .where('id', 'in', [first, second])
      .orderBy('id')
      .execute();
    // Every row carries both marks exactly once: each transaction applied once, whole.
    assert.equal(
      rows.map((row) => row.name.split(' ').sort()),
      [
        ['+a', '+b', 'first'],
        ['+a', '+b', 'second'],
      ],
    );
  });

  test('two SERIALIZABLE transactions with a read/write conflict both commit as if one ran first', async () => {
    const organizerId = await fixture.organizer();
    const left = await fixture.event(organizerId, { capacity: 10 });
    const right = await fixture.event(organizerId, { capacity: 20 });
    const meeting = new Meeting();
    const capacityOf = (q: QueryContext, id: number) =>
      q.db
        .selectFrom('events')
        .select('capacity')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
        .then((row) => row.capacity ?? 0);
    // Each sets its own event's capacity to the sum of both: write skew unless serialized.
    // Both read, then both write, and only then does either commit.
    const summing =
      (target: number): Attempt =>
      async (q, attempt) => {
        await sql`set transaction isolation level serializable`.execute(q.db);
        const total = (await capacityOf(q, left)) + (await capacityOf(q, right));
        if (attempt === 1) await meeting.arrive('both read');
        await q.db
          .updateTable('events')
          .set({ capacity: total, seat_limit: total })
          .where('id', '=', target)
          .execute();
        if (attempt === 1) await meeting.arrive('both wrote');
      };

    const attempts = await Promise.all([
      runCounted(fixture, summing(left), meeting),
      runCounted(fixture, summing(right), meeting),
    ]);

    assert.ok(attempts[0] + attempts[1] >= 3, `one transaction ran again: ${attempts.join(', ')}`);
    const rows = await fixture.db
      .selectFrom('events')
      .select('capacity')
      .where('id', 'in', [left, right])
      .orderBy('id')
      .execute();
    // Left first: 30 then 50; right first: 30 then 40. Both 30 would be the write skew.
    const capacities = rows.map((row) => row.capacity);
    assert.ok(
      [
        [30, 50],
        [40, 30],
      ].some((serial) => serial.join() === capacities.join()),
      `capacities ${capacities.join(', ')} match a serial order`,
    );
  });

  test.run();
}
