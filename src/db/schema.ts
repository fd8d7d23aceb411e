import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely table interfaces. Columns are snake_case exactly as in the database; repositories map
 * rows to the camelCase wire documents themselves, so no naming plugin sits between.
 */

/**
 * A UTC instant. PostgreSQL (`timestamptz`) and SQL Server (`datetime2`) return a `Date`;
 * SQLite stores ISO-8601 text and returns it as a string. Writes always pass the string that
 * `toDatabaseDate` (src/domain/dates.ts) builds for the dialect.
 */
export type Timestamp = ColumnType<Date | string, string, string>;

/** `count(*)`, `min()`, `max()`: PostgreSQL returns bigint aggregates as strings. */
export type Aggregate = number | string | bigint;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string;
  /** `email` lower-cased: the unique key that makes e-mail lookups case-insensitive. */
  email_normalized: string;
  password_hash: string;
  created_at: Timestamp;
}

export interface OrganizersTable {
  id: Generated<number>;
  name: string;
  email: string;
}

export interface EventsTable {
  id: Generated<number>;
  title: string;
  description: string | null;
  starts_at: Timestamp;
  location: string;
  category: string | null;
  /** What the API shows; null means unlimited. */
  capacity: number | null;
  /** `capacity`, or SEAT_LIMIT_UNLIMITED when it is null; registrations reference it. */
  seat_limit: number;
  organizer_id: number;
}

export interface SpeakersTable {
  id: Generated<number>;
  name: string;
  email: string;
  biography: string | null;
  expertise: string | null;
}

export interface ParticipantsTable {
  id: Generated<number>;
  name: string;
  email: string;
  interests: string | null;
}

export interface EventSpeakersTable {
  event_id: number;
  speaker_id: number;
}

export interface RegistrationsTable {
  event_id: number;
  participant_id: number;
  /** 1..seat_limit, unique per event: the constraints that make overbooking impossible. */
  seat: number;
  /** Copy of the event's seat_limit, kept equal by the composite foreign key's cascade. */
  seat_limit: number;
  registered_at: Timestamp;
}

/** The first answer to an `Idempotency-Key` (migration 0002), replayed to its retries. */
export interface IdempotencyKeysTable {
  user_id: number;
  /** The operation name (`participant.create`): a key is scoped per user and per operation. */
  operation: string;
  idempotency_key: string;
  /** SHA-256 (hex) of the operation, path ids and canonical body of the first request. */
  request_hash: string;
  status: number;
  /** The first answer's JSON text, sent again byte for byte; null when it had no body. */
  response_body: string | null;
  location: string | null;
  /** JSON array of the cache keys the first answer made stale. */
  invalidate_keys: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface DatabaseSchema {
  users: UsersTable;
  organizers: OrganizersTable;
  events: EventsTable;
  speakers: SpeakersTable;
  participants: ParticipantsTable;
  event_speakers: EventSpeakersTable;
  registrations: RegistrationsTable;
  idempotency_keys: IdempotencyKeysTable;
}

/** seat_limit of an event without capacity: the largest 32-bit integer, SQL `int`'s maximum. */
export const SEAT_LIMIT_UNLIMITED = 2_147_483_647;
