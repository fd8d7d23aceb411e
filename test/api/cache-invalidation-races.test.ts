/**
 * Writes that race each other on PostgreSQL, with the interleaving forced by row locks the
 * test holds itself, and what the cache shows afterwards. Row locks work the same way on SQL
 * Server (see src/db/row-lock.ts); SQLite serialises writers, so no interleaving exists.
 */
import { sql } from 'kysely';
import * as assert from 'uvu/assert';

import { openDatabase } from '../../src/db/connect.js';
import type { SpeakerDocument } from '../../src/domain/types.js';
import { dialectSuites, expectStatus } from './api-fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await dialectSuites('cache invalidation races', (test, api) => {
  test('a speaker linked while its event is being deleted is not left showing the event', async () => {
    if (api.dialect.name !== 'postgres') return;
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    const speakerPath = `/speaker/${speaker.id}`;
    await api.get(speakerPath);

    const handle = await openDatabase(api.dialect.url, { poolSize: 1 });
    const blocker = await handle.db.startTransaction().execute();
    try {
      // Holds the organizer delete at the event row, without stopping a link's FK check.
      await sql`select id from events where id = ${event.id} for share`.execute(blocker);
      const deleting = api.send('DELETE', `/organizer/delete/${organizer.id}`);
      await sleep(300);
      const linking = api.link(speaker.id, event.id);
      await sleep(300);
      // A reader in between: whatever it sees may be cached.
      expectStatus(await api.get(speakerPath), 200);
      await blocker.commit().execute();

      expectStatus(await deleting, 204);
      const linked = await linking;
      assert.ok([200, 404].includes(linked.status), `link answered ${linked.status}`);
    } finally {
      await handle.close();
    }

    const page = (await api.get(speakerPath)).body as SpeakerDocument;
    assert.equal(
      page.events.map((shown) => shown.id),
      [],
      'the deleted event is gone from the speaker page',
    );
  });
});
