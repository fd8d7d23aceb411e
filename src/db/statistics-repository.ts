import type { Statistics } from '../domain/types.js';
import { toCount } from './list-query.js';
import type { QueryContext } from './query-context.js';

/** The four counts in one round trip (scalar subqueries, valid on every dialect). */
export async function readStatistics(q: QueryContext): Promise<Statistics> {
  const row = await q.db
    .selectNoFrom((eb) => [
      eb.selectFrom('events').select(eb.fn.countAll().as('count')).as('event_count'),
      eb.selectFrom('organizers').select(eb.fn.countAll().as('count')).as('organizer_count'),
      eb.selectFrom('speakers').select(eb.fn.countAll().as('count')).as('speaker_count'),
      eb.selectFrom('participants').select(eb.fn.countAll().as('count')).as('participant_count'),
    ])
    .executeTakeFirstOrThrow();

  return {
    eventCount: toCount(row.event_count),
    organizerCount: toCount(row.organizer_count),
    speakerCount: toCount(row.speaker_count),
    participantCount: toCount(row.participant_count),
  };
}
