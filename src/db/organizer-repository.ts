import type { ListQuery, NameSort, OrganizerDocument, OrganizerInput } from '../domain/types.js';
import { eventSummariesByOrganizer } from './event-summaries.js';
import { anyColumnContains, applyPage, nameSortDirection, toCount } from './list-query.js';
import type { QueryContext } from './query-context.js';

interface OrganizerRow {
  id: number;
  name: string;
  email: string;
}

export async function organizerExists(q: QueryContext, organizerId: number): Promise<boolean> {
  const row = await q.db
    .selectFrom('organizers')
    .select('id')
    .where('id', '=', organizerId)
    .executeTakeFirst();

  return row !== undefined;
}

export async function insertOrganizer(q: QueryContext, input: OrganizerInput): Promise<number> {
  const insert = q.db.insertInto('organizers').values({ name: input.name, email: input.email });

  // SQL Server has no RETURNING; OUTPUT reports the generated id instead.
  const row =
    q.dialect === 'mssql'
      ? await insert.output('inserted.id').executeTakeFirstOrThrow()
      : await insert.returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** False when the organizer does not exist. */
export async function updateOrganizer(
  q: QueryContext,
  organizerId: number,
  input: OrganizerInput,
): Promise<boolean> {
  const result = await q.db
    .updateTable('organizers')
    .set({ name: input.name, email: input.email })
    .where('id', '=', organizerId)
    .executeTakeFirst();

  return result.numUpdatedRows > 0n;
}

/** Deletes an organizer; its events (and their registrations and links) cascade. */
export async function deleteOrganizer(q: QueryContext, organizerId: number): Promise<boolean> {
  const result = await q.db
    .deleteFrom('organizers')
    .where('id', '=', organizerId)
    .executeTakeFirst();

  return result.numDeletedRows > 0n;
}

/** The organizer with its events as summaries: two queries. */
export async function findOrganizerDocument(
  q: QueryContext,
  organizerId: number,
): Promise<OrganizerDocument | null> {
  const row = await q.db
    .selectFrom('organizers')
    .select(['id', 'name', 'email'])
    .where('id', '=', organizerId)
    .executeTakeFirst();
  if (row === undefined) {
    return null;
  }

  const [document] = await assembleDocuments(q, [row]);
  return document ?? null;
}

/** One page of organizers (filtered by name or e-mail), and the matching total. */
export async function listOrganizerDocuments(
  q: QueryContext,
  list: ListQuery<NameSort>,
): Promise<{ items: OrganizerDocument[]; totalCount: number }> {
  const filter = list.filter === null ? null : anyColumnContains(['name', 'email'], list.filter);
  const direction = nameSortDirection(list.sortBy);

  let counting = q.db.selectFrom('organizers').select((eb) => eb.fn.countAll().as('count'));
  let ordered = q.db
    .selectFrom('organizers')
    .select(['id', 'name', 'email'])
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
  rows: readonly OrganizerRow[],
): Promise<OrganizerDocument[]> {
  const events = await eventSummariesByOrganizer(
    q,
    rows.map((row) => row.id),
  );

  return rows.map((row) => ({ ...row, events: events.get(row.id) ?? [] }));
}
