import * as assert from 'uvu/assert';

import { STATISTICS_KEY, eventKey, organizerKey, speakerKey } from '../../src/domain/cache-keys.js';
import type { EventDocument } from '../../src/domain/types.js';
import {
  type DbFixture,
  assertFailure,
  dialectSuites,
  eventBody,
  nextNumber,
} from './db-fixture.js';

const organizer = (fixture: DbFixture) => fixture.organizer();
const speaker = (fixture: DbFixture) => fixture.speaker();

await dialectSuites('event use cases', (test, fixture) => {
  test('creates an event with its organizer, stores the instant in UTC and invalidates', async () => {
    const organizerId = await organizer(fixture);
    const result = await fixture.ok('event.create', {
      body: eventBody(organizerId, { date: '2030-03-14T18:30:00+02:00', capacity: 5 }),
    });
    const event = result.value as EventDocument;

    assert.is(result.status, 201);
    assert.is(result.location, `/event/${event.id}`);
    assert.equal(result.invalidate, [organizerKey(organizerId), STATISTICS_KEY]);
    assert.is(event.date, '2030-03-14T16:30:00.000Z');
    assert.equal(event.organizer?.id, organizerId);
    assert.equal([event.speakers, event.participants, event.capacity], [[], [], 5]);

    const row = await fixture.db
      .selectFrom('events')
      .select(['seat_limit', 'capacity', 'organizer_id', 'description', 'category'])
      .where('id', '=', event.id)
      .executeTakeFirstOrThrow();
    assert.equal(row, {
      seat_limit: 5,
      capacity: 5,
      organizer_id: organizerId,
      description: null,
      category: null,
    });
  });

  test('stores an unlimited event with the largest seat limit', async () => {
    const id = await fixture.create('event.create', eventBody(await organizer(fixture)));
    const row = await fixture.db
      .selectFrom('events')
      .select(['seat_limit', 'capacity'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row, { seat_limit: 2_147_483_647, capacity: null });
  });

  test('keeps Unicode text intact', async () => {
    const title = 'Café Ünïcødé 日本語 🎉';
    const id = await fixture.create('event.create', eventBody(await organizer(fixture), { title }));
    const result = await fixture.ok('event.get', { params: { id } });
    assert.is((result.value as EventDocument).title, title);
  });

  test('refuses a past date, an unparseable date and an unknown organizer', async () => {
    const organizerId = await organizer(fixture);
    const before = await fixture.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();

    const past = await fixture.run('event.create', {
      body: eventBody(organizerId, { date: '2029-12-31' }),
    });
    assertFailure(past, 'VALIDATION_FAILED');
    if (!past.ok) assert.equal(past.errors, { date: ['must be in the future'] });

    assertFailure(
      await fixture.run('event.create', { body: eventBody(organizerId, { date: '31/02/2031' }) }),
      'VALIDATION_FAILED',
    );
    assertFailure(
      await fixture.run('event.create', { body: eventBody(999_999) }),
      'ORGANIZER_NOT_FOUND',
    );

    const after = await fixture.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    assert.is(Number(after.n), Number(before.n), 'no row was written');
  });

  test('updates an event, moving it and invalidating event, both organizers and speakers', async () => {
    const [first, second] = [await organizer(fixture), await organizer(fixture)];
    const eventId = await fixture.create('event.create', eventBody(first));
    const speakerId = await speaker(fixture);
    await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId } });

    const result = await fixture.ok('event.update', {
      params: { id: eventId },
      body: eventBody(second, { title: 'Renamed', description: 'Now with text', category: 'Talk' }),
    });
    const event = result.value as EventDocument;

    assert.is(result.status, 200);
    assert.equal(
      [event.title, event.description, event.category, event.organizer?.id],
      ['Renamed', 'Now with text', 'Talk', second],
    );
    assert.equal(
      event.speakers.map((s) => s.id),
      [speakerId],
    );
    assert.equal(
      [...result.invalidate].sort(),
      [eventKey(eventId), organizerKey(first), organizerKey(second), speakerKey(speakerId)].sort(),
    );
  });

  test('allows keeping a date that is now in the past, but not moving to one', async () => {
    const organizerId = await organizer(fixture);
    const eventId = await fixture.create('event.create', eventBody(organizerId));
    await fixture.db
      .updateTable('events')
      .set({
        starts_at:
          fixture.handle.dialect === 'mssql'
            ? '2029-06-01T00:00:00.000'
            : '2029-06-01T00:00:00.000Z',
      })
      .where('id', '=', eventId)
      .execute();

    const unchanged = await fixture.run('event.update', {
      params: { id: eventId },
      body: eventBody(organizerId, { date: '2029-06-01T02:00:00+02:00', title: 'Fixed typo' }),
    });
    assert.is(unchanged.ok, true, 'same instant, other notation');

    const moved = await fixture.run('event.update', {
      params: { id: eventId },
      body: eventBody(organizerId, { date: '2029-06-02' }),
    });
    assertFailure(moved, 'VALIDATION_FAILED');
  });

  test('answers 404 and 422 on update', async () => {
    const organizerId = await organizer(fixture);
    const eventId = await fixture.create('event.create', eventBody(organizerId));

    assertFailure(
      await fixture.run('event.update', { params: { id: 999_999 }, body: eventBody(organizerId) }),
      'NOT_FOUND',
    );
    assertFailure(
      await fixture.run('event.update', { params: { id: eventId }, body: eventBody(999_999) }),
      'ORGANIZER_NOT_FOUND',
    );
  });

  test('refuses a capacity below the registrations and renumbers seats to lower it', async () => {
    const organizerId = await organizer(fixture);
    const eventId = await fixture.create('event.create', eventBody(organizerId, { capacity: 5 }));
    const participants: number[] = [];
    for (let i = 0; i < 4; i++) {
      const n = nextNumber();
      const id = await fixture.create('participant.create', {
        name: `P${n}`,
        email: `p${n}@example.com`,
      });
      participants.push(id);
      await fixture.ok('participant.register', { params: { eventId, participantId: id } });
    }

    // Free seats 1 and 2: the remaining registrations hold seats 3 and 4.
    await fixture.ok('participant.delete', { params: { id: participants[0] ?? 0 } });
    await fixture.ok('participant.delete', { params: { id: participants[1] ?? 0 } });

    const below = await fixture.run('event.update', {
      params: { id: eventId },
      body: eventBody(organizerId, { capacity: 1 }),
    });
    assertFailure(below, 'CAPACITY_BELOW_REGISTRATIONS');

    await fixture.ok('event.update', {
      params: { id: eventId },
      body: eventBody(organizerId, { capacity: 2 }),
    });
    const rows = await fixture.db
      .selectFrom('registrations')
      .select(['participant_id', 'seat', 'seat_limit'])
      .where('event_id', '=', eventId)
      .orderBy('seat')
      .execute();
    assert.equal(rows, [
      { participant_id: participants[2], seat: 1, seat_limit: 2 },
      { participant_id: participants[3], seat: 2, seat_limit: 2 },
    ]);

    await fixture.ok('event.update', {
      params: { id: eventId },
      body: eventBody(organizerId, { capacity: null }),
    });
    const unlimited = await fixture.db
      .selectFrom('registrations')
      .select('seat_limit')
      .where('event_id', '=', eventId)
      .execute();
    assert.equal(
      unlimited.map((r) => r.seat_limit),
      [2_147_483_647, 2_147_483_647],
    );
  });

  test('deletes an event with its registrations and links, invalidating what showed it', async () => {
    const organizerId = await organizer(fixture);
    const eventId = await fixture.create('event.create', eventBody(organizerId));
    const speakerId = await speaker(fixture);
    const n = nextNumber();
    const participantId = await fixture.create('participant.create', {
      name: `P${n}`,
      email: `p${n}@example.com`,
    });
    await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId } });
    await fixture.ok('participant.register', { params: { eventId, participantId } });

    const result = await fixture.ok('event.delete', { params: { id: eventId } });
    assert.is(result.status, 204);
    assert.equal(
      [...result.invalidate].sort(),
      [eventKey(eventId), organizerKey(organizerId), speakerKey(speakerId), STATISTICS_KEY].sort(),
    );

    const left = await Promise.all([
      fixture.db.selectFrom('events').select('id').where('id', '=', eventId).execute(),
      fixture.db
        .selectFrom('registrations')
        .select('seat')
        .where('event_id', '=', eventId)
        .execute(),
      fixture.db
        .selectFrom('event_speakers')
        .select('speaker_id')
        .where('event_id', '=', eventId)
        .execute(),
    ]);
    assert.equal(left, [[], [], []]);
    assertFailure(await fixture.run('event.delete', { params: { id: eventId } }), 'NOT_FOUND');
    assertFailure(await fixture.run('event.get', { params: { id: eventId } }), 'NOT_FOUND');
  });

  test('builds the event page with organizer, speakers and participants', async () => {
    const organizerId = await organizer(fixture);
    const eventId = await fixture.create('event.create', eventBody(organizerId));
    const speakerId = await speaker(fixture);
    const participantId = await fixture.create('participant.create', {
      name: 'Zoë',
      email: 'zoe@example.com',
    });
    await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId } });
    await fixture.ok('participant.register', { params: { eventId, participantId } });

    const event = (await fixture.ok('event.get', { params: { id: eventId } }))
      .value as EventDocument;
    assert.equal(
      event.speakers.map((s) => [s.id, s.expertise]),
      [[speakerId, null]],
    );
    assert.equal(event.participants, [
      { id: participantId, name: 'Zoë', email: 'zoe@example.com' },
    ]);
    assert.is(event.organizer?.id, organizerId);
  });
});
