import * as assert from 'uvu/assert';

import { STATISTICS_KEY, eventKey, organizerKey, speakerKey } from '../../src/domain/cache-keys.js';
import type { EventDocument, OrganizerDocument } from '../../src/domain/types.js';
import { assertFailure, dialectSuites, sortedKeys } from './db-fixture.js';

await dialectSuites('organizer use cases', (test, fixture) => {
  test('creates an organizer with no events and invalidates the statistics', async () => {
    const result = await fixture.ok('organizer.create', {
      body: { name: 'Søren Guild', email: 'Soren@Example.com' },
    });
    const organizer = result.value as OrganizerDocument;

    assert.is(result.status, 201);
    assert.is(result.location, `/organizer/${organizer.id}`);
    assert.equal(result.invalidate, [STATISTICS_KEY]);
    assert.equal(organizer, {
      id: organizer.id,
      name: 'Søren Guild',
      email: 'Soren@Example.com',
      events: [],
    });

    const row = await fixture.db
      .selectFrom('organizers')
      .selectAll()
      .where('id', '=', organizer.id)
      .executeTakeFirst();
    assert.equal(row, { id: organizer.id, name: 'Søren Guild', email: 'Soren@Example.com' });
  });

  test('shows its events soonest first', async () => {
    const organizerId = await fixture.organizer();
    const later = await fixture.event(organizerId, { date: '2031-06-01', title: 'Later' });
    const sooner = await fixture.event(organizerId, { date: '2031-01-01', title: 'Sooner' });

    const organizer = (await fixture.ok('organizer.get', { params: { id: organizerId } }))
      .value as OrganizerDocument;
    assert.equal(
      organizer.events.map((e) => e.id),
      [sooner, later],
    );
    assert.equal(Object.keys(organizer.events[0] ?? {}).sort(), [
      'date',
      'description',
      'id',
      'location',
      'title',
    ]);
    assert.is(organizer.events[0]?.date, '2031-01-01T00:00:00.000Z');
  });

  test('updates an organizer and invalidates it and all its events', async () => {
    const organizerId = await fixture.organizer();
    const [a, b] = [await fixture.event(organizerId), await fixture.event(organizerId)];

    const result = await fixture.ok('organizer.update', {
      params: { id: organizerId },
      body: { name: 'Renamed', email: 'new@example.com' },
    });

    assert.is((result.value as OrganizerDocument).name, 'Renamed');
    assert.equal(
      sortedKeys(result.invalidate),
      sortedKeys([organizerKey(organizerId), eventKey(a), eventKey(b)]),
    );
    const event = (await fixture.ok('event.get', { params: { id: a } })).value as EventDocument;
    assert.equal(event.organizer, { id: organizerId, name: 'Renamed', email: 'new@example.com' });
    assertFailure(
      await fixture.run('organizer.update', {
        params: { id: 999_999 },
        body: { name: 'x', email: 'x@y' },
      }),
      'NOT_FOUND',
    );
  });

  test('deletes an organizer with its events, invalidating them, their speakers and statistics', async () => {
    const organizerId = await fixture.organizer();
    const [a, b] = [await fixture.event(organizerId), await fixture.event(organizerId)];
    const speakerId = await fixture.speaker();
    const participantId = await fixture.participant();
    await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId: a } });
    await fixture.ok('participant.register', { params: { eventId: b, participantId } });

    const result = await fixture.ok('organizer.delete', { params: { id: organizerId } });

    assert.is(result.status, 204);
    assert.equal(
      sortedKeys(result.invalidate),
      sortedKeys([
        organizerKey(organizerId),
        eventKey(a),
        eventKey(b),
        speakerKey(speakerId),
        STATISTICS_KEY,
      ]),
    );
    const events = await fixture.db
      .selectFrom('events')
      .select('id')
      .where('id', 'in', [a, b])
      .execute();
    const registrations = await fixture.db
      .selectFrom('registrations')
      .select('seat')
      .where('event_id', '=', b)
      .execute();
    const links = await fixture.db
      .selectFrom('event_speakers')
      .select('event_id')
      .where('event_id', '=', a)
      .execute();
    assert.equal([events, registrations, links], [[], [], []]);

    // The speaker and participant themselves remain.
    assert.ok((await fixture.run('speaker.get', { params: { id: speakerId } })).ok);
    assert.ok((await fixture.run('participant.get', { params: { id: participantId } })).ok);
    assertFailure(
      await fixture.run('organizer.delete', { params: { id: organizerId } }),
      'NOT_FOUND',
    );
  });

  test('assigns an event to another organizer, invalidating the event and both organizers', async () => {
    const [from, to] = [await fixture.organizer(), await fixture.organizer()];
    const eventId = await fixture.event(from);

    const result = await fixture.ok('organizer.assignEvent', {
      params: { organizerId: to, eventId },
    });

    assert.is(result.status, 200);
    assert.is((result.value as EventDocument).organizer?.id, to);
    assert.equal(
      sortedKeys(result.invalidate),
      sortedKeys([eventKey(eventId), organizerKey(from), organizerKey(to)]),
    );
    const row = await fixture.db
      .selectFrom('events')
      .select('organizer_id')
      .where('id', '=', eventId)
      .executeTakeFirst();
    assert.is(row?.organizer_id, to);

    assertFailure(
      await fixture.run('organizer.assignEvent', { params: { organizerId: 999_999, eventId } }),
      'NOT_FOUND',
    );
    assertFailure(
      await fixture.run('organizer.assignEvent', { params: { organizerId: to, eventId: 999_999 } }),
      'NOT_FOUND',
    );
  });

  test('answers 404 for an unknown organizer', async () => {
    assertFailure(await fixture.run('organizer.get', { params: { id: 999_999 } }), 'NOT_FOUND');
  });
});
