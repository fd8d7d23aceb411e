import * as assert from 'uvu/assert';

import { STATISTICS_KEY, eventKey, participantKey } from '../../src/domain/cache-keys.js';
import type { EventDocument, ParticipantDocument } from '../../src/domain/types.js';
import { assertFailure, dialectSuites, sortedKeys } from './db-fixture.js';

await dialectSuites('participant use cases', (test, fixture) => {
  test('creates a participant and invalidates the statistics', async () => {
    const result = await fixture.ok('participant.create', {
      body: { name: 'João', email: 'joao@example.com', interests: 'Rust' },
    });
    const participant = result.value as ParticipantDocument;

    assert.equal(
      [result.status, result.location, result.invalidate],
      [201, `/participant/${participant.id}`, [STATISTICS_KEY]],
    );
    const stored = await fixture.ok('participant.get', { params: { id: participant.id } });
    assert.equal(stored.value, {
      id: participant.id,
      name: 'João',
      email: 'joao@example.com',
      interests: 'Rust',
    });
  });

  test('registers a participant to an event, taking seat 1, and invalidates only the event', async () => {
    const eventId = await fixture.event(undefined, { capacity: 3 });
    const participantId = await fixture.participant();

    const result = await fixture.ok('participant.register', { params: { eventId, participantId } });

    assert.is(result.status, 200);
    assert.equal(
      (result.value as EventDocument).participants.map((p) => p.id),
      [participantId],
    );
    assert.equal(result.invalidate, [eventKey(eventId)]);
    const rows = await fixture.db
      .selectFrom('registrations')
      .select(['participant_id', 'seat', 'seat_limit'])
      .where('event_id', '=', eventId)
      .execute();
    assert.equal(rows, [{ participant_id: participantId, seat: 1, seat_limit: 3 }]);
  });

  test('registering twice is a success and keeps one row', async () => {
    const eventId = await fixture.event(undefined, { capacity: 3 });
    const participantId = await fixture.participant();
    await fixture.ok('participant.register', { params: { eventId, participantId } });
    const again = await fixture.ok('participant.register', { params: { eventId, participantId } });

    assert.is(again.status, 200);
    const rows = await fixture.db
      .selectFrom('registrations')
      .select('seat')
      .where('event_id', '=', eventId)
      .execute();
    assert.is(rows.length, 1);
  });

  test('answers EVENT_FULL at capacity and 404 for an unknown event or participant', async () => {
    const eventId = await fixture.event(undefined, { capacity: 1 });
    await fixture.ok('participant.register', {
      params: { eventId, participantId: await fixture.participant() },
    });
    const late = await fixture.participant();

    assertFailure(
      await fixture.run('participant.register', { params: { eventId, participantId: late } }),
      'EVENT_FULL',
    );
    assertFailure(
      await fixture.run('participant.register', {
        params: { eventId: 999_999, participantId: late },
      }),
      'NOT_FOUND',
    );
    assertFailure(
      await fixture.run('participant.register', { params: { eventId, participantId: 999_999 } }),
      'NOT_FOUND',
    );
  });

  test('reuses the lowest free seat after a participant leaves', async () => {
    const eventId = await fixture.event(undefined, { capacity: 3 });
    const [a, b, c] = [
      await fixture.participant(),
      await fixture.participant(),
      await fixture.participant(),
    ];
    for (const participantId of [a, b, c]) {
      await fixture.ok('participant.register', { params: { eventId, participantId } });
    }

    await fixture.ok('participant.delete', { params: { id: b } });
    const d = await fixture.participant();
    await fixture.ok('participant.register', { params: { eventId, participantId: d } });

    const rows = await fixture.db
      .selectFrom('registrations')
      .select(['participant_id', 'seat'])
      .where('event_id', '=', eventId)
      .orderBy('seat')
      .execute();
    assert.equal(rows, [
      { participant_id: a, seat: 1 },
      { participant_id: d, seat: 2 },
      { participant_id: c, seat: 3 },
    ]);
  });

  test('updates a participant and invalidates it and the events they attend', async () => {
    const participantId = await fixture.participant();
    const eventId = await fixture.event();
    await fixture.ok('participant.register', { params: { eventId, participantId } });

    const result = await fixture.ok('participant.update', {
      params: { id: participantId },
      body: { name: 'Renamed', email: 'renamed@example.com' },
    });

    assert.equal(result.value, {
      id: participantId,
      name: 'Renamed',
      email: 'renamed@example.com',
      interests: null,
    });
    assert.equal(
      sortedKeys(result.invalidate),
      sortedKeys([participantKey(participantId), eventKey(eventId)]),
    );
    assertFailure(
      await fixture.run('participant.update', {
        params: { id: 999_999 },
        body: { name: 'x', email: 'x@y' },
      }),
      'NOT_FOUND',
    );
  });

  test('deletes a participant, freeing their seats and invalidating their events', async () => {
    const participantId = await fixture.participant();
    const eventId = await fixture.event();
    await fixture.ok('participant.register', { params: { eventId, participantId } });

    const result = await fixture.ok('participant.delete', { params: { id: participantId } });

    assert.equal(
      sortedKeys(result.invalidate),
      sortedKeys([participantKey(participantId), eventKey(eventId), STATISTICS_KEY]),
    );
    const rows = await fixture.db
      .selectFrom('registrations')
      .select('seat')
      .where('participant_id', '=', participantId)
      .execute();
    assert.equal(rows, []);
    assertFailure(
      await fixture.run('participant.delete', { params: { id: participantId } }),
      'NOT_FOUND',
    );
    assertFailure(
      await fixture.run('participant.get', { params: { id: participantId } }),
      'NOT_FOUND',
    );
  });

  test('lists the participants of an event, and 404 for an unknown event', async () => {
    const eventId = await fixture.event();
    const bruno = await fixture.participant('Bruno');
    const ana = await fixture.participant('Ana');
    await fixture.participant('Not Registered');
    for (const participantId of [bruno, ana]) {
      await fixture.ok('participant.register', { params: { eventId, participantId } });
    }

    const result = await fixture.ok('participant.listByEvent', {
      params: { eventId },
      query: { pageNumber: 1, pageSize: 10, sortBy: 'name', filter: null },
    });
    assert.equal(
      (result.value as ParticipantDocument[]).map((p) => p.name),
      ['Ana', 'Bruno'],
    );
    assert.equal(result.page, { totalCount: 2, pageNumber: 1, pageSize: 10 });

    assertFailure(
      await fixture.run('participant.listByEvent', { params: { eventId: 999_999 } }),
      'NOT_FOUND',
    );
  });
});
