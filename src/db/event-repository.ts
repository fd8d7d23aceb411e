import { fromDatabaseDate, toDatabaseDate } from '../domain/dates.js';
import type { QueryContext } from './query-context.js';
import { SEAT_LIMIT_UNLIMITED } from './schema.js';

/** An event's fields as stored, in domain types (the date parsed, capacity null = unlimited). */
export interface EventValues {
  title: string;
  description: string | null;
  startsAt: Date;
  location: string;
  category: string | null;
  capacity: number | null;
  organizerId: number;
}

/** What the rules need to know about a stored event. */
export interface EventState {
  organizerId: number;
  startsAt: Date;
  capacity: number | null;
  seatLimit: number;
}

function toColumns(q: QueryContext, values: EventValues) {
  return {
    title: values.title,
    description: values.description,
    starts_at: toDatabaseDate(values.startsAt, q.dialect),
    location: values.location,
    category: values.category,
    capacity: values.capacity,
    seat_limit: values.capacity ?? SEAT_LIMIT_UNLIMITED,
    organizer_id: values.organizerId,
  };
}

export async function findEventState(q: QueryContext, eventId: number): Promise<EventState | null> {
  const row = await q.db
    .selectFrom('events')
    .select(['organizer_id', 'starts_at', 'capacity', 'seat_limit'])
    .where('id', '=', eventId)
    .executeTakeFirst();

  return row === undefined
    ? null
    : {
        organizerId: row.organizer_id,
        startsAt: fromDatabaseDate(row.starts_at),
        capacity: row.capacity,
        seatLimit: row.seat_limit,
      };
}

export async function eventExists(q: QueryContext, eventId: number): Promise<boolean> {
  const row = await q.db
    .selectFrom('events')
    .select('id')
    .where('id', '=', eventId)
    .executeTakeFirst();

  return row !== undefined;
}

/** Inserts an event and returns its id. */
export async function insertEvent(q: QueryContext, values: EventValues): Promise<number> {
  const insert = q.db.insertInto('events').values(toColumns(q, values));

  // SQL Server has no RETURNING; OUTPUT reports the generated id instead.
  const row =
    q.dialect === 'mssql'
      ? await insert.output('inserted.id').executeTakeFirstOrThrow()
      : await insert.returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Replaces every field of an event (seat_limit follows capacity). */
export async function updateEvent(
  q: QueryContext,
  eventId: number,
  values: EventValues,
): Promise<void> {
  await q.db.updateTable('events').set(toColumns(q, values)).where('id', '=', eventId).execute();
}

export async function setEventOrganizer(
  q: QueryContext,
  eventId: number,
  organizerId: number,
): Promise<void> {
  await q.db
    .updateTable('events')
    .set({ organizer_id: organizerId })
    .where('id', '=', eventId)
    .execute();
}

/** Deletes an event (its registrations and speaker links cascade); false when absent. */
export async function deleteEvent(q: QueryContext, eventId: number): Promise<boolean> {
  const result = await q.db.deleteFrom('events').where('id', '=', eventId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function eventIdsOfOrganizer(q: QueryContext, organizerId: number): Promise<number[]> {
  const rows = await q.db
    .selectFrom('events')
    .select('id')
    .where('organizer_id', '=', organizerId)
    .execute();

  return rows.map((row) => row.id);
}

export async function speakerIdsOfEvent(q: QueryContext, eventId: number): Promise<number[]> {
  const rows = await q.db
    .selectFrom('event_speakers')
    .select('speaker_id')
    .where('event_id', '=', eventId)
    .execute();

  return rows.map((row) => row.speaker_id);
}

/**
 * Distinct ids of the speakers of any of the organizer's events, by join rather than an IN
 * list of event ids (an organizer may have more events than SQL Server's 2100 parameters).
 */
export async function speakerIdsOfOrganizer(
  q: QueryContext,
  organizerId: number,
): Promise<number[]> {
  const rows = await q.db
    .selectFrom('event_speakers as es')
    .innerJoin('events as e', 'e.id', 'es.event_id')
    .select('es.speaker_id')
    .distinct()
    .where('e.organizer_id', '=', organizerId)
    .execute();

  return rows.map((row) => row.speaker_id);
}
