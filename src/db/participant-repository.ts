import type {
  ListQuery,
  NameSort,
  ParticipantDocument,
  ParticipantInput,
} from '../domain/types.js';
import { anyColumnContains, applyPage, nameSortDirection, toCount } from './list-query.js';
import type { QueryContext } from './query-context.js';

const PARTICIPANT_COLUMNS = ['id', 'name', 'email', 'interests'] as const;

function toColumns(input: ParticipantInput) {
  return { name: input.name, email: input.email, interests: input.interests ?? null };
}

export async function participantExists(q: QueryContext, participantId: number): Promise<boolean> {
  const row = await q.db
    .selectFrom('participants')
    .select('id')
    .where('id', '=', participantId)
    .executeTakeFirst();

  return row !== undefined;
}

export async function insertParticipant(q: QueryContext, input: ParticipantInput): Promise<number> {
  const insert = q.db.insertInto('participants').values(toColumns(input));

  // SQL Server has no RETURNING; OUTPUT reports the generated id instead.
  const row =
    q.dialect === 'mssql'
      ? await insert.output('inserted.id').executeTakeFirstOrThrow()
      : await insert.returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** False when the participant does not exist. */
export async function updateParticipant(
  q: QueryContext,
  participantId: number,
  input: ParticipantInput,
): Promise<boolean> {
  const result = await q.db
    .updateTable('participants')
    .set(toColumns(input))
    .where('id', '=', participantId)
    .executeTakeFirst();

  return result.numUpdatedRows > 0n;
}

/** Deletes a participant; their registrations cascade. */
export async function deleteParticipant(q: QueryContext, participantId: number): Promise<boolean> {
  const result = await q.db
    .deleteFrom('participants')
    .where('id', '=', participantId)
    .executeTakeFirst();

  return result.numDeletedRows > 0n;
}

export async function findParticipantDocument(
  q: QueryContext,
  participantId: number,
): Promise<ParticipantDocument | null> {
  const row = await q.db
    .selectFrom('participants')
    .select(PARTICIPANT_COLUMNS)
    .where('id', '=', participantId)
    .executeTakeFirst();

  return row ?? null;
}

/** One page of an event's participants (filtered by name or e-mail), and the total. */
export async function listParticipantsOfEvent(
  q: QueryContext,
  eventId: number,
  list: ListQuery<NameSort>,
): Promise<{ items: ParticipantDocument[]; totalCount: number }> {
  const filter =
    list.filter === null ? null : anyColumnContains(['p.name', 'p.email'], list.filter);
  const direction = nameSortDirection(list.sortBy);

  const registered = q.db
    .selectFrom('registrations as r')
    .innerJoin('participants as p', 'p.id', 'r.participant_id')
    .where('r.event_id', '=', eventId);
  let counting = registered.select((eb) => eb.fn.countAll().as('count'));
  let ordered = registered
    .select(['p.id', 'p.name', 'p.email', 'p.interests'])
    .orderBy('p.name', direction)
    .orderBy('p.id', direction);
  if (filter !== null) {
    counting = counting.where(filter);
    ordered = ordered.where(filter);
  }

  const counted = await counting.executeTakeFirst();
  const items = await applyPage(ordered, q.dialect, list).execute();

  return { items, totalCount: toCount(counted?.count) };
}
