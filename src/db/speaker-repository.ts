import type { ListQuery, NameSort, SpeakerDocument, SpeakerInput } from '../domain/types.js';
import { eventSummariesBySpeaker } from './event-summaries.js';
import { anyColumnContains, applyPage, nameSortDirection, toCount } from './list-query.js';
import type { QueryContext } from './query-context.js';

interface SpeakerRow {
  id: number;
  name: string;
  email: string;
  biography: string | null;
  expertise: string | null;
}

const SPEAKER_COLUMNS = ['id', 'name', 'email', 'biography', 'expertise'] as const;

function toColumns(input: SpeakerInput) {
  return {
    name: input.name,
    email: input.email,
    biography: input.biography,
    expertise: input.expertise ?? null,
  };
}

export async function speakerExists(q: QueryContext, speakerId: number): Promise<boolean> {
  const row = await q.db
    .selectFrom('speakers')
    .select('id')
    .where('id', '=', speakerId)
    .executeTakeFirst();

  return row !== undefined;
}

export async function insertSpeaker(q: QueryContext, input: SpeakerInput): Promise<number> {
  const insert = q.db.insertInto('speakers').values(toColumns(input));

  // SQL Server has no RETURNING; OUTPUT reports the generated id instead.
  const row =
    q.dialect === 'mssql'
      ? await insert.output('inserted.id').executeTakeFirstOrThrow()
      : await insert.returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** False when the speaker does not exist. */
export async function updateSpeaker(
  q: QueryContext,
  speakerId: number,
  input: SpeakerInput,
): Promise<boolean> {
  const result = await q.db
    .updateTable('speakers')
    .set(toColumns(input))
    .where('id', '=', speakerId)
    .executeTakeFirst();

  return result.numUpdatedRows > 0n;
}

/** Deletes a speaker; its event links cascade. */
export async function deleteSpeaker(q: QueryContext, speakerId: number): Promise<boolean> {
  const result = await q.db.deleteFrom('speakers').where('id', '=', speakerId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function isSpeakerLinked(
  q: QueryContext,
  speakerId: number,
  eventId: number,
): Promise<boolean> {
  const row = await q.db
    .selectFrom('event_speakers')
    .select('event_id')
    .where('event_id', '=', eventId)
    .where('speaker_id', '=', speakerId)
    .executeTakeFirst();

  return row !== undefined;
}

export async function linkSpeaker(
  q: QueryContext,
  speakerId: number,
  eventId: number,
): Promise<void> {
  await q.db
    .insertInto('event_speakers')
    .values({ event_id: eventId, speaker_id: speakerId })
    .execute();
}

/** Ids of the events the speaker is linked to. */
export async function eventIdsOfSpeaker(q: QueryContext, speakerId: number): Promise<number[]> {
  const rows = await q.db
    .selectFrom('event_speakers')
    .select('event_id')
    .where('speaker_id', '=', speakerId)
    .execute();

  return rows.map((row) => row.event_id);
}

/** The speaker with their events as summaries: two queries. */
export async function findSpeakerDocument(
  q: QueryContext,
  speakerId: number,
): Promise<SpeakerDocument | null> {
  const row = await q.db
    .selectFrom('speakers')
    .select(SPEAKER_COLUMNS)
    .where('id', '=', speakerId)
    .executeTakeFirst();
  if (row === undefined) {
    return null;
  }

  const [document] = await assembleDocuments(q, [row]);
  return document ?? null;
}

/** One page of speakers (filtered by name or e-mail), and the matching total. */
export async function listSpeakerDocuments(
  q: QueryContext,
  list: ListQuery<NameSort>,
): Promise<{ items: SpeakerDocument[]; totalCount: number }> {
  const filter = list.filter === null ? null : anyColumnContains(['name', 'email'], list.filter);
  const direction = nameSortDirection(list.sortBy);

  let counting = q.db.selectFrom('speakers').select((eb) => eb.fn.countAll().as('count'));
  let ordered = q.db
    .selectFrom('speakers')
    .select(SPEAKER_COLUMNS)
    .orderBy('name', direction)
    .orderBy('id', direction);
  if (filter !== null) {
    counting = counting.where(filter);
    ordered = ordered.where(filter);
  }

  const counted = await counting.executeTakeFirst();
  const rows = await applyPage(ordered, q.dialect, list).execute();

  return { items: await assembleDocuments(q, rows), totalCount: toCount(counted?.count) };
}

async function assembleDocuments(
  q: QueryContext,
  rows: readonly SpeakerRow[],
): Promise<SpeakerDocument[]> {
  const events = await eventSummariesBySpeaker(
    q,
    rows.map((row) => row.id),
  );

  return rows.map((row) => ({ ...row, events: events.get(row.id) ?? [] }));
}
