import type { QueryContext } from './query-context.js';

/** Tables whose rows a use case locks before reading what depends on them. */
export type LockableTable = 'events' | 'organizers' | 'speakers' | 'participants';

/**
 * Locks one row until the transaction ends, in a way that also holds off concurrent inserts
 * that reference it (their foreign-key check must wait), so a use case that reads "what
 * depends on this row" (events of an organizer, speakers of an event) to compute its cache
 * invalidations cannot miss a row committed meanwhile. Returns false when the row does not
 * exist.
 *
 * - PostgreSQL: SELECT ... FOR UPDATE. A no-op UPDATE would take only FOR NO KEY UPDATE,
 *   which foreign-key checks (FOR KEY SHARE) do not wait for.
 * - SQL Server: a no-op UPDATE of a column outside every key takes an exclusive row lock,
 *   which the foreign-key check's shared lock waits for. (Updating `seat_limit` to itself
 *   would also run the ON UPDATE CASCADE into every registration of the event.)
 * - SQLite: transactions begin IMMEDIATE and hold the database's write lock already; the
 *   no-op UPDATE only checks that the row exists.
 */
export async function lockRow(q: QueryContext, table: LockableTable, id: number): Promise<boolean> {
  if (q.dialect === 'postgres') {
    const row = await q.db
      .selectFrom(table)
      .select('id')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    return row !== undefined;
  }

  const result = await updateToItself(q, table, id);
  return result.numUpdatedRows > 0n;
}

/**
 * Locks every event of an organizer (as lockRow does one row) and returns their ids, so
 * that a speaker link or registration to one of them, whose foreign-key check waits for the
 * lock, either committed before (and is seen by the reads that follow) or runs after this
 * transaction ends.
 */
export async function lockEventsOfOrganizer(
  q: QueryContext,
  organizerId: number,
): Promise<number[]> {
  const select = q.db.selectFrom('events').select('id').where('organizer_id', '=', organizerId);
  if (q.dialect === 'postgres') {
    return (await select.forUpdate().execute()).map((row) => row.id);
  }

  await q.db
    .updateTable('events')
    .set((eb) => ({ capacity: eb.ref('capacity') }))
    .where('organizer_id', '=', organizerId)
    .execute();
  return (await select.execute()).map((row) => row.id);
}

function updateToItself(q: QueryContext, table: LockableTable, id: number) {
  switch (table) {
    case 'events':
      return q.db
        .updateTable('events')
        .set((eb) => ({ capacity: eb.ref('capacity') }))
        .where('id', '=', id)
        .executeTakeFirst();
    case 'organizers':
    case 'speakers':
    case 'participants':
      return q.db
        .updateTable(table)
        .set((eb) => ({ name: eb.ref('name') }))
        .where('id', '=', id)
        .executeTakeFirst();
  }
}
