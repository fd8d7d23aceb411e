import { formatDatabaseDate } from '../domain/dates.js';
import type {
  EventDocument,
  EventSort,
  ListQuery,
  ParticipantSummary,
  SpeakerSummary,
} from '../domain/types.js';
import { groupRows } from './group-rows.js';
import { anyColumnContains, applyPage, toCount } from './list-query.js';
import type { QueryContext } from './query-context.js';

/**
 * Event documents (event + organizer summary + speakers + participants) in a fixed number
 * of queries however many events are loaded: the events with their organizer in one, then
 * the speakers and the participants of all of them in one query each.
 */

const SORT_COLUMNS: Record<EventSort, ['e.starts_at' | 'e.title', 'asc' | 'desc']> = {
  date: ['e.starts_at', 'asc'],
  date_desc: ['e.starts_at', 'desc'],
  title: ['e.title', 'asc'],
  title_desc: ['e.title', 'desc'],
};

function selectEventRows(q: QueryContext) {
  return q.db
    .selectFrom('events as e')
    .leftJoin('organizers as o', 'o.id', 'e.organizer_id')
    .select([
      'e.id',
      'e.title',
      'e.description',
      'e.starts_at',
      'e.location',
      'e.category',
      'e.capacity',
      'o.id as organizer_id',
      'o.name as organizer_name',
      'o.email as organizer_email',
    ]);
}

type EventRow = Awaited<ReturnType<ReturnType<typeof selectEventRows>['execute']>>[number];

export async function findEventDocument(
  q: QueryContext,
  eventId: number,
): Promise<EventDocument | null> {
  const row = await selectEventRows(q).where('e.id', '=', eventId).executeTakeFirst();
  if (row === undefined) {
    return null;
  }

  const [document] = await assembleDocuments(q, [row]);
  return document ?? null;
}

/** One page of event documents, and how many events match the filter in all. */
export async function listEventDocuments(
  q: QueryContext,
  list: ListQuery<EventSort>,
): Promise<{ items: EventDocument[]; totalCount: number }> {
  const filter =
    list.filter === null ? null : anyColumnContains(['e.title', 'e.location'], list.filter);
  const [column, direction] = SORT_COLUMNS[list.sortBy] ?? SORT_COLUMNS.date;

  let counting = q.db.selectFrom('events as e').select((eb) => eb.fn.countAll().as('count'));
  let ordered = selectEventRows(q).orderBy(column, direction).orderBy('e.id', direction);
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
  rows: readonly EventRow[],
): Promise<EventDocument[]> {
  if (rows.length === 0) {
    return [];
  }

  // One after the other: both run on the caller's one connection (a transaction, or the
  // connection a read reserves), and a tedious connection runs one request at a time.
  const eventIds = rows.map((row) => row.id);
  const speakers = await speakersOfEvents(q, eventIds);
  const participants = await participantsOfEvents(q, eventIds);

  return rows.map((row) => ({
    id: row.id,
    title: row.title,
    description: row.description,
    date: formatDatabaseDate(row.starts_at),
    location: row.location,
    category: row.category,
    capacity: row.capacity,
    organizer:
      row.organizer_id === null || row.organizer_name === null || row.organizer_email === null
        ? null
        : { id: row.organizer_id, name: row.organizer_name, email: row.organizer_email },
    speakers: speakers.get(row.id) ?? [],
    participants: participants.get(row.id) ?? [],
  }));
}

async function speakersOfEvents(
  q: QueryContext,
  eventIds: readonly number[],
): Promise<Map<number, SpeakerSummary[]>> {
  const rows = await q.db
    .selectFrom('event_speakers as es')
    .innerJoin('speakers as s', 's.id', 'es.speaker_id')
    .select(['es.event_id', 's.id', 's.name', 's.email', 's.expertise'])
    .where('es.event_id', 'in', eventIds)
    .orderBy('s.name')
    .orderBy('s.id')
    .execute();

  return groupRows(
    rows,
    (row) => row.event_id,
    (row) => ({ id: row.id, name: row.name, email: row.email, expertise: row.expertise }),
  );
}

/**
 * Limitation: an event document embeds every participant, so a very large event makes a
 * large document; paging them would take a change of the contract (the per-event
 * participant list already exists as GET /participant/{eventId}/all).
 */
async function participantsOfEvents(
  q: QueryContext,
  eventIds: readonly number[],
): Promise<Map<number, ParticipantSummary[]>> {
  const rows = await q.db
    .selectFrom('registrations as r')
    .innerJoin('participants as p', 'p.id', 'r.participant_id')
    .select(['r.event_id', 'p.id', 'p.name', 'p.email'])
    .where('r.event_id', 'in', eventIds)
    .orderBy('p.name')
    .orderBy('p.id')
    .execute();

  return groupRows(
    rows,
    (row) => row.event_id,
    (row) => ({ id: row.id, name: row.name, email: row.email }),
  );
}
