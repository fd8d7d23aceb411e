import { formatDatabaseDate } from '../domain/dates.js';
import type { EventSummary } from '../domain/types.js';
import { groupRows } from './group-rows.js';
import type { QueryContext } from './query-context.js';

interface EventSummaryRow {
  id: number;
  title: string;
  description: string | null;
  starts_at: Date | string;
  location: string;
}

export function toEventSummary(row: EventSummaryRow): EventSummary {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    date: formatDatabaseDate(row.starts_at),
    location: row.location,
  };
}

/** The events of each organizer, soonest first, in one query for all the organizers. */
export async function eventSummariesByOrganizer(
  q: QueryContext,
  organizerIds: readonly number[],
): Promise<Map<number, EventSummary[]>> {
  if (organizerIds.length === 0) {
    return new Map();
  }

  const rows = await q.db
    .selectFrom('events')
    .select(['id', 'title', 'description', 'starts_at', 'location', 'organizer_id'])
    .where('organizer_id', 'in', organizerIds)
    .orderBy('starts_at')
    .orderBy('id')
    .execute();

  return groupRows(rows, (row) => row.organizer_id, toEventSummary);
}

/** The events each speaker speaks at, soonest first, in one query for all the speakers. */
export async function eventSummariesBySpeaker(
  q: QueryContext,
  speakerIds: readonly number[],
): Promise<Map<number, EventSummary[]>> {
  if (speakerIds.length === 0) {
    return new Map();
  }

  const rows = await q.db
    .selectFrom('event_speakers as es')
    .innerJoin('events as e', 'e.id', 'es.event_id')
    .select(['es.speaker_id', 'e.id', 'e.title', 'e.description', 'e.starts_at', 'e.location'])
    .where('es.speaker_id', 'in', speakerIds)
    .orderBy('e.starts_at')
    .orderBy('e.id')
    .execute();

  return groupRows(rows, (row) => row.speaker_id, toEventSummary);
}
