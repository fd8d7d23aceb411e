import { type Kysely, type Migration, sql } from 'kysely';

import type { DialectName } from '../dialect-name.js';
import { SEAT_LIMIT_UNLIMITED } from '../schema.js';
import { identityPrimaryKey, text, timestamp } from './column-types.js';

/**
 * The v1 schema. Capacity is enforced by constraints alone: every registration owns a seat
 * number, unique per event, between 1 and the event's seat_limit, and its seat_limit copy
 * must match the event's (composite foreign key), so no code path can overbook.
 *
 * Cascades form one path per parent (organizers -> events -> registrations/event_speakers;
 * participants -> registrations; speakers -> event_speakers), which SQL Server requires:
 * it rejects a foreign key that would give a table two cascade paths from one ancestor.
 *
 * Migrations see `Kysely<unknown>`: they describe the schema as it was at their version, not
 * today's DatabaseSchema.
 */
export function initialSchema(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createPeopleTables(db, dialect);
      await createEventTables(db, dialect);
      await createIndexes(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of DROP_ORDER) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}

const DROP_ORDER = [
  'registrations',
  'event_speakers',
  'events',
  'participants',
  'speakers',
  'organizers',
  'users',
];

async function createPeopleTables(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'integer', identityPrimaryKey(dialect))
    .addColumn('username', text(dialect, 100), (col) => col.notNull())
    .addColumn('email', text(dialect, 150), (col) => col.notNull())
    .addColumn('email_normalized', text(dialect, 150), (col) => col.notNull())
    .addColumn('password_hash', text(dialect, 200), (col) => col.notNull())
    .addColumn('created_at', timestamp(dialect), (col) => col.notNull())
    .addUniqueConstraint('uq_users_email_normalized', ['email_normalized'])
    .execute();

  await db.schema
    .createTable('organizers')
    .addColumn('id', 'integer', identityPrimaryKey(dialect))
    .addColumn('name', text(dialect, 200), (col) => col.notNull())
    .addColumn('email', text(dialect, 150), (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('speakers')
    .addColumn('id', 'integer', identityPrimaryKey(dialect))
    .addColumn('name', text(dialect, 200), (col) => col.notNull())
    .addColumn('email', text(dialect, 150), (col) => col.notNull())
    .addColumn('biography', text(dialect, 2000))
    .addColumn('expertise', text(dialect, 150))
    .execute();

  await db.schema
    .createTable('participants')
    .addColumn('id', 'integer', identityPrimaryKey(dialect))
    .addColumn('name', text(dialect, 200), (col) => col.notNull())
    .addColumn('email', text(dialect, 150), (col) => col.notNull())
    .addColumn('interests', text(dialect, 150))
    .execute();
}

async function createEventTables(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('id', 'integer', identityPrimaryKey(dialect))
    .addColumn('title', text(dialect, 200), (col) => col.notNull())
    .addColumn('description', text(dialect, 8000))
    .addColumn('starts_at', timestamp(dialect), (col) => col.notNull())
    .addColumn('location', text(dialect, 150), (col) => col.notNull())
    .addColumn('category', text(dialect, 150))
    .addColumn('capacity', 'integer')
    .addColumn('seat_limit', 'integer', (col) => col.notNull())
    .addColumn('organizer_id', 'integer', (col) => col.notNull())
    // The target of registrations' composite foreign key.
    .addUniqueConstraint('uq_events_id_seat_limit', ['id', 'seat_limit'])
    .addCheckConstraint('ck_events_capacity', sql`capacity is null or capacity >= 1`)
    // seat_limit mirrors capacity, so the seat constraints below enforce the capacity.
    .addCheckConstraint(
      'ck_events_seat_limit',
      sql`(capacity is null and seat_limit = ${sql.lit(SEAT_LIMIT_UNLIMITED)}) or seat_limit = capacity`,
    )
    .addForeignKeyConstraint('fk_events_organizer', ['organizer_id'], 'organizers', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('event_speakers')
    .addColumn('event_id', 'integer', (col) => col.notNull())
    .addColumn('speaker_id', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('pk_event_speakers', ['event_id', 'speaker_id'])
    .addForeignKeyConstraint('fk_event_speakers_event', ['event_id'], 'events', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint(
      'fk_event_speakers_speaker',
      ['speaker_id'],
      'speakers',
      ['id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('registrations')
    .addColumn('event_id', 'integer', (col) => col.notNull())
    .addColumn('participant_id', 'integer', (col) => col.notNull())
    .addColumn('seat', 'integer', (col) => col.notNull())
    .addColumn('seat_limit', 'integer', (col) => col.notNull())
    .addColumn('registered_at', timestamp(dialect), (col) => col.notNull())
    .addPrimaryKeyConstraint('pk_registrations', ['event_id', 'participant_id'])
    .addUniqueConstraint('uq_registrations_event_seat', ['event_id', 'seat'])
    .addCheckConstraint('ck_registrations_seat_min', sql`seat >= 1`)
    .addCheckConstraint('ck_registrations_seat_max', sql`seat <= seat_limit`)
    // ON UPDATE CASCADE carries a new seat_limit from the event to its registrations, where
    // the check above then holds every seat to it.
    .addForeignKeyConstraint(
      'fk_registrations_event',
      ['event_id', 'seat_limit'],
      'events',
      ['id', 'seat_limit'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .addForeignKeyConstraint(
      'fk_registrations_participant',
      ['participant_id'],
      'participants',
      ['id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
}

/** Indexes for the list orders (tie-broken by id) and for the reverse lookups. */
async function createIndexes(db: Kysely<unknown>): Promise<void> {
  const indexes: Array<[name: string, table: string, columns: string[]]> = [
    ['ix_events_starts_at_id', 'events', ['starts_at', 'id']],
    ['ix_events_title_id', 'events', ['title', 'id']],
    ['ix_events_organizer_id', 'events', ['organizer_id']],
    ['ix_organizers_name_id', 'organizers', ['name', 'id']],
    ['ix_speakers_name_id', 'speakers', ['name', 'id']],
    ['ix_participants_name_id', 'participants', ['name', 'id']],
    ['ix_registrations_participant_id', 'registrations', ['participant_id']],
    ['ix_event_speakers_speaker_id', 'event_speakers', ['speaker_id']],
  ];

  for (const [name, table, columns] of indexes) {
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  }
}
