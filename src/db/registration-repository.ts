import { toDatabaseDate } from '../domain/dates.js';
import { toCount } from './list-query.js';
import type { QueryContext } from './query-context.js';

/** How an event's seats are taken: how many, and the lowest and highest seat numbers. */
export interface SeatUsage {
  count: number;
  lowest: number;
  highest: number;
}

export interface RegistrationValues {
  eventId: number;
  participantId: number;
  seat: number;
  /** Must equal the event's seat_limit (the composite foreign key checks it). */
  seatLimit: number;
  registeredAt: Date;
}

export async function isRegistered(
  q: QueryContext,
  eventId: number,
  participantId: number,
): Promise<boolean> {
  const row = await q.db
    .selectFrom('registrations')
    .select('seat')
    .where('event_id', '=', eventId)
    .where('participant_id', '=', participantId)
    .executeTakeFirst();

  return row !== undefined;
}

export async function seatUsage(q: QueryContext, eventId: number): Promise<SeatUsage> {
  const row = await q.db
    .selectFrom('registrations')
    .select((eb) => [
      eb.fn.countAll().as('count'),
      eb.fn.min('seat').as('lowest'),
      eb.fn.max('seat').as('highest'),
    ])
    .where('event_id', '=', eventId)
    .executeTakeFirst();

  return {
    count: toCount(row?.count),
    lowest: toCount(row?.lowest),
    highest: toCount(row?.highest),
  };
}

/**
 * The lowest seat number nobody holds. Seats are usually compact (1..count), answered
 * without a query; after a participant was deleted, the first gap is found with one query.
 * The result is at most count + 1, so it is within the seat limit whenever count is below it.
 */
export async function lowestFreeSeat(
  q: QueryContext,
  eventId: number,
  usage: SeatUsage,
): Promise<number> {
  if (usage.count === 0 || usage.lowest > 1) {
    return 1;
  }

  if (usage.highest === usage.count) {
    return usage.count + 1;
  }

  const row = await q.db
    .selectFrom('registrations as r')
    .select((eb) => eb.fn.min('r.seat').as('seat'))
    .where('r.event_id', '=', eventId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('registrations as following')
            .select('following.seat')
            .whereRef('following.event_id', '=', 'r.event_id')
            .where((eb) => eb('following.seat', '=', eb('r.seat', '+', 1))),
        ),
      ),
    )
    .executeTakeFirst();

  return toCount(row?.seat) + 1;
}

export async function insertRegistration(
  q: QueryContext,
  values: RegistrationValues,
): Promise<void> {
  await q.db
    .insertInto('registrations')
    .values({
      event_id: values.eventId,
      participant_id: values.participantId,
      seat: values.seat,
      seat_limit: values.seatLimit,
      registered_at: toDatabaseDate(values.registeredAt, q.dialect),
    })
    .execute();
}

/**
 * Renumbers an event's seats 1..n, keeping their order, so a lower seat limit can follow.
 * Rows move one at a time in ascending seat order, which never collides with the unique
 * (event_id, seat) constraint: the k-th seat is >= k, and every seat below k has already
 * moved to its own new number. (A single UPDATE could collide midway on PostgreSQL, which
 * checks a non-deferrable unique constraint row by row.)
 * Limitation: one statement per moved registration; fine for an occasional capacity cut.
 */
export async function compactSeats(q: QueryContext, eventId: number): Promise<void> {
  const rows = await q.db
    .selectFrom('registrations')
    .select(['participant_id', 'seat'])
    .where('event_id', '=', eventId)
    .orderBy('seat')
    .execute();

  for (const [index, row] of rows.entries()) {
    const seat = index + 1;
    if (row.seat !== seat) {
      await q.db
        .updateTable('registrations')
        .set({ seat })
        .where('event_id', '=', eventId)
        .where('participant_id', '=', row.participant_id)
        .execute();
    }
  }
}

/** Ids of the events a participant is registered to. */
export async function eventIdsOfParticipant(
  q: QueryContext,
  participantId: number,
): Promise<number[]> {
  const rows = await q.db
    .selectFrom('registrations')
    .select('event_id')
    .where('participant_id', '=', participantId)
    .execute();

  return rows.map((row) => row.event_id);
}
