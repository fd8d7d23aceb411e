import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/db/connect.js';
import { toDatabaseDate } from '../../src/domain/dates.js';
import type { EventDocument, OrganizerDocument, SpeakerDocument } from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import {
  dialectSuites,
  expectStatus,
  futureDate,
  inputOf,
  paginationOf,
  summaryOf,
  type ApiFixture,
} from './api-fixture.js';

/** Moves an event's date into the past directly in the database (the API refuses to). */
async function backdate(api: ApiFixture, eventId: number, date: Date): Promise<void> {
  const handle = await openDatabase(api.dialect.url, { poolSize: 1 });
  try {
    await handle.db
      .updateTable('events')
      .set({ starts_at: toDatabaseDate(date, handle.dialect) })
      .where('id', '=', eventId)
      .execute();
  } finally {
    await handle.close();
  }
}

async function countEventsTitled(api: ApiFixture, title: string): Promise<number> {
  const response = await api.get(`/event/all?filter=${encodeURIComponent(title)}`);
  expectStatus(response, 200);
  return paginationOf(response).totalCount;
}

await dialectSuites('event routes', (test, api) => {
  test('creates an event: 201, Location and the event with its organizer and empty relations', async () => {
    const organizer = await api.createOrganizer();
    const body = {
      title: 'TypeScript Summit',
      description: 'Talks and workshops.',
      date: '2090-03-14T18:30:00.000Z',
      location: 'Lisbon Congress Centre',
      category: 'Technology',
      capacity: 250,
      organizerId: organizer.id,
    };

    const response = await api.send('POST', '/event', body);

    expectStatus(response, 201);
    assertMatchesContract('event.create', response);
    const { organizerId: _organizerId, ...fields } = body;
    assert.equal(response.body, {
      id: response.body.id,
      ...fields,
      organizer: { id: organizer.id, name: organizer.name, email: organizer.email },
      speakers: [],
      participants: [],
    });
    assert.is(response.headers.get('location'), `/event/${response.body.id}`);
  });

  test('stores omitted optional fields as null', async () => {
    const organizer = await api.createOrganizer();

    const event = await api.createEvent(organizer.id, { title: 'Bare Event' });

    assert.is(event.description, null);
    assert.is(event.category, null);
    assert.is(event.capacity, null);
    const stored = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.equal(stored, event);
  });

  test('stores every accepted date form as a UTC instant and returns it in ISO form', async () => {
    const organizer = await api.createOrganizer();
    const forms: [input: string, stored: string][] = [
      ['2090-05-06T10:30:00+02:00', '2090-05-06T08:30:00.000Z'],
      ['2090-05-06T10:30:00-03:30', '2090-05-06T14:00:00.000Z'],
      ['2090-12-31T23:30:00-01:00', '2091-01-01T00:30:00.000Z'],
      ['2090-05-06T10:30:00.123456Z', '2090-05-06T10:30:00.123Z'],
      ['2090-05-06T10:30Z', '2090-05-06T10:30:00.000Z'],
      ['2090-05-06', '2090-05-06T00:00:00.000Z'],
      ['06/05/2090', '2090-05-06T00:00:00.000Z'],
      ['29/02/2092', '2092-02-29T00:00:00.000Z'],
    ];

    for (const [input, stored] of forms) {
      const created = await api.createEvent(organizer.id, { date: input });
      assert.is(created.date, stored, `created from ${input}`);
      const read = await api.read<EventDocument>(`/event/${created.id}`, 'event.get');
      assert.is(read.date, stored, `read back from ${input}`);
    }
  });

  test('answers 400 with errors.date "must be in the future" for a past date', async () => {
    const organizer = await api.createOrganizer();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();

    for (const date of ['2001-01-01T00:00:00Z', '01/01/2001', '2001-01-01', yesterday]) {
      const response = await api.send('POST', '/event', {
        title: 'Too Late',
        date,
        location: 'Nowhere',
        organizerId: organizer.id,
      });

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('event.create', response);
      assert.equal(problem.errors, { date: ['must be in the future'] }, date);
    }
  });

  test('answers 400 naming date for impossible or unsupported date forms', async () => {
    const organizer = await api.createOrganizer();
    const dates: unknown[] = [
      '31/02/2090',
      '2090-13-01',
      '2090-02-30',
      '2090-05-06T24:00:00Z',
      '2090-05-06T10:30:00',
      '6/5/2090',
      '2090/05/06',
      'next tuesday',
      '',
      20900506,
      null,
    ];

    for (const date of dates) {
      const response = await api.send('POST', '/event', {
        title: 'Odd Date',
        date,
        location: 'Somewhere',
        organizerId: organizer.id,
      });

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('event.create', response);
      assert.ok(
        problem.errors?.['date'] !== undefined,
        `${JSON.stringify(date)}: ${response.text}`,
      );
    }
  });

  test('answers 400 VALIDATION_FAILED naming each invalid field', async () => {
    const organizer = await api.createOrganizer();
    const valid = {
      title: 'Valid',
      date: futureDate(1),
      location: 'Here',
      organizerId: organizer.id,
    };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, title: '' }, 'title'],
      [{ ...valid, title: '   ' }, 'title'],
      [{ ...valid, title: 'x'.repeat(201) }, 'title'],
      [{ ...valid, title: 42 }, 'title'],
      [{ ...valid, location: 'x'.repeat(151) }, 'location'],
      [{ ...valid, location: '\t' }, 'location'],
      [{ ...valid, description: 'x'.repeat(8001) }, 'description'],
      [{ ...valid, category: 'x'.repeat(151) }, 'category'],
      [{ ...valid, capacity: 0 }, 'capacity'],
      [{ ...valid, capacity: -1 }, 'capacity'],
      [{ ...valid, capacity: 1.5 }, 'capacity'],
      [{ ...valid, capacity: '10' }, 'capacity'],
      [{ ...valid, capacity: 2147483648 }, 'capacity'],
      [{ ...valid, organizerId: 0 }, 'organizerId'],
      [{ ...valid, organizerId: String(organizer.id) }, 'organizerId'],
      [{ title: 'No Date', location: 'Here', organizerId: organizer.id }, 'date'],
      [{ date: futureDate(1), location: 'Here', organizerId: organizer.id }, 'title'],
      [{ title: 'No Organizer', date: futureDate(1), location: 'Here' }, 'organizerId'],
    ];

    for (const [body, field] of cases) {
      const response = await api.send('POST', '/event', body);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('event.create', response);
      assert.ok(problem.errors?.[field] !== undefined, `errors name ${field}: ${response.text}`);
    }
  });

  test('accepts every field at its maximum length and stores it exactly', async () => {
    const organizer = await api.createOrganizer();
    const fields = {
      title: 'T'.repeat(199) + 'é',
      description: 'd'.repeat(7999) + 'ü',
      location: 'L'.repeat(150),
      category: 'C'.repeat(150),
      capacity: 2147483647,
    };

    const event = await api.createEvent(organizer.id, fields);

    const stored = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.equal({ ...stored, ...fields }, stored);
  });

  test('stores text outside the Basic Multilingual Plane at the maximum length', async () => {
    const organizer = await api.createOrganizer();
    const fields = { title: '🎉'.repeat(200), location: '𝄞'.repeat(150) };

    const event = await api.createEvent(organizer.id, fields);

    const stored = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.is(stored.title, fields.title);
    assert.is(stored.location, fields.location);
  });

  test('stores SQL metacharacters and quotes as plain text', async () => {
    const organizer = await api.createOrganizer();
    const title = `Robert'); DROP TABLE events;-- "x" \\ %_[a]`;

    const event = await api.createEvent(organizer.id, { title, description: "O'Reilly" });

    const stored = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.is(stored.title, title);
    assert.is(stored.description, "O'Reilly");
  });

  test('answers 422 ORGANIZER_NOT_FOUND when creating an event for an unknown organizer', async () => {
    const response = await api.send('POST', '/event', {
      title: 'Orphan Event 422',
      date: futureDate(2),
      location: 'Void',
      organizerId: 2147483647,
    });

    assertProblem(response, 422, 'ORGANIZER_NOT_FOUND');
    assertMatchesContract('event.create', response);
    assert.is(await countEventsTitled(api, 'Orphan Event 422'), 0);
  });

  test('rejects unknown properties and read-only fields with 400 and stores nothing', async () => {
    const organizer = await api.createOrganizer();
    const valid = {
      title: 'Mass Assignment',
      date: futureDate(3),
      location: 'Here',
      organizerId: organizer.id,
    };
    for (const [extra, field] of [
      [{ id: 5 }, 'id'],
      [{ participants: [] }, 'participants'],
      [{ organizer: { id: organizer.id } }, 'organizer'],
      [{ Title: 'Shadow' }, 'Title'],
    ] as const) {
      const response = await api.send('POST', '/event', { ...valid, ...extra });

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('event.create', response);
      assert.ok(problem.errors?.[field] !== undefined, `errors name ${field}: ${response.text}`);
    }
    assert.is(await countEventsTitled(api, 'Mass Assignment'), 0);
  });

  test('rejects a body carrying __proto__ with 400 and stores nothing', async () => {
    const organizer = await api.createOrganizer();
    const rawBody = `{"title":"Proto Assignment","date":"${futureDate(3)}","location":"Here","organizerId":${organizer.id},"__proto__":{"capacity":1}}`;
    const response = await api.request('POST', '/event', {
      token: api.token,
      rawBody,
      headers: { 'content-type': 'application/json' },
    });
    assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('event.create', response);
    assert.is(await countEventsTitled(api, 'Proto Assignment'), 0);
  });

  test('returns an event by id with ETag and X-Cache', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const response = await api.get(`/event/${event.id}`);

    expectStatus(response, 200);
    assertMatchesContract('event.get', response);
    assert.equal(response.body, event);
    assert.ok((response.headers.get('etag') ?? '').length > 2, 'ETag');
    assert.is(response.headers.get('x-cache'), 'miss');
  });

  test('answers 404 with NOT_FOUND for an event that does not exist', async () => {
    const response = await api.get('/event/2147483647');

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('event.get', response);
  });

  test('replaces an event: 200 with relations, omitted optional fields become null', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, {
      description: 'Old',
      category: 'Old',
      capacity: 10,
    });
    const speaker = await api.createSpeaker();
    const participant = await api.createParticipant();
    expectStatus(await api.link(speaker.id, event.id), 200);
    expectStatus(await api.register(event.id, participant.id), 200);

    const response = await api.send('PUT', `/event/update/${event.id}`, {
      title: 'Renamed',
      date: '2090-07-01T12:00:00+01:00',
      location: 'New Hall',
      organizerId: organizer.id,
    });

    expectStatus(response, 200);
    assertMatchesContract('event.update', response);
    const expected: EventDocument = {
      ...event,
      title: 'Renamed',
      description: null,
      date: '2090-07-01T11:00:00.000Z',
      location: 'New Hall',
      category: null,
      capacity: null,
      speakers: [{ id: speaker.id, name: speaker.name, email: speaker.email, expertise: null }],
      participants: [{ id: participant.id, name: participant.name, email: participant.email }],
    };
    assert.equal(response.body, expected);
    assert.equal(await api.read(`/event/${event.id}`, 'event.get'), expected);
  });

  test('moves an event to another organizer through an update', async () => {
    const first = await api.createOrganizer();
    const second = await api.createOrganizer();
    const event = await api.createEvent(first.id);

    const response = await api.send('PUT', `/event/update/${event.id}`, {
      ...inputOf(event),
      organizerId: second.id,
    });

    expectStatus(response, 200);
    assertMatchesContract('event.update', response);
    assert.equal(response.body.organizer, {
      id: second.id,
      name: second.name,
      email: second.email,
    });
    const firstNow = await api.read<OrganizerDocument>(`/organizer/${first.id}`, 'organizer.get');
    const secondNow = await api.read<OrganizerDocument>(`/organizer/${second.id}`, 'organizer.get');
    assert.equal(firstNow.events, []);
    assert.equal(secondNow.events, [summaryOf(event)]);
  });

  test('answers 404 NOT_FOUND when updating an event that does not exist', async () => {
    const organizer = await api.createOrganizer();

    const response = await api.send('PUT', '/event/update/2147483647', {
      title: 'Ghost',
      date: futureDate(4),
      location: 'Nowhere',
      organizerId: organizer.id,
    });

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('event.update', response);
  });

  test('answers 422 ORGANIZER_NOT_FOUND when an update names an unknown organizer, and keeps the event', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const response = await api.send('PUT', `/event/update/${event.id}`, {
      ...inputOf(event),
      organizerId: 2147483647,
    });

    assertProblem(response, 422, 'ORGANIZER_NOT_FOUND');
    assertMatchesContract('event.update', response);
    assert.equal(await api.read(`/event/${event.id}`, 'event.get'), event);
  });

  test('answers 400 VALIDATION_FAILED to an update with an invalid or unknown field', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    for (const [body, field] of [
      [{ ...inputOf(event), title: '' }, 'title'],
      [{ ...inputOf(event), capacity: 0 }, 'capacity'],
      [{ ...inputOf(event), speakers: [] }, 'speakers'],
    ] as const) {
      const response = await api.send('PUT', `/event/update/${event.id}`, body);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('event.update', response);
      assert.ok(problem.errors?.[field] !== undefined, `errors name ${field}: ${response.text}`);
    }
    assert.equal(await api.read(`/event/${event.id}`, 'event.get'), event);
  });

  test('answers 400 with errors.date when an update moves the date into the past', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const response = await api.send('PUT', `/event/update/${event.id}`, {
      ...inputOf(event),
      date: '2001-05-05',
    });

    const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('event.update', response);
    assert.equal(problem.errors, { date: ['must be in the future'] });
  });

  test('keeps a date that has passed when an update does not change it, in any accepted form', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    await backdate(api, event.id, new Date('2001-02-03T00:00:00.000Z'));

    for (const date of [
      '2001-02-03T00:00:00.000Z',
      '03/02/2001',
      '2001-02-03',
      '2001-02-03T01:00:00+01:00',
    ]) {
      const response = await api.send('PUT', `/event/update/${event.id}`, {
        ...inputOf(event),
        title: `Still past (${date})`,
        date,
      });

      expectStatus(response, 200);
      assertMatchesContract('event.update', response);
      assert.is(response.body.date, '2001-02-03T00:00:00.000Z');
    }

    const moved = await api.send('PUT', `/event/update/${event.id}`, {
      ...inputOf(event),
      date: '2001-02-04',
    });
    const problem = assertProblem(moved, 400, 'VALIDATION_FAILED');
    assert.equal(problem.errors, { date: ['must be in the future'] });
  });

  test('answers 409 CAPACITY_BELOW_REGISTRATIONS when an update lowers capacity below the registrations', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 5 });
    const first = await api.createParticipant();
    const second = await api.createParticipant();
    expectStatus(await api.register(event.id, first.id), 200);
    expectStatus(await api.register(event.id, second.id), 200);

    const response = await api.send('PUT', `/event/update/${event.id}`, {
      ...inputOf(event),
      capacity: 1,
    });

    assertProblem(response, 409, 'CAPACITY_BELOW_REGISTRATIONS');
    assertMatchesContract('event.update', response);
    const unchanged = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.is(unchanged.capacity, 5);
    assert.is(unchanged.participants.length, 2);

    for (const capacity of [2, null, 3]) {
      const lowered = await api.send('PUT', `/event/update/${event.id}`, {
        ...inputOf(event),
        capacity,
      });
      expectStatus(lowered, 200);
      assertMatchesContract('event.update', lowered);
      assert.is(lowered.body.capacity, capacity);
      assert.is(lowered.body.participants.length, 2);
    }
  });

  test('lowers capacity to the number of registrations left after participants were deleted', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 4 });
    const participants = [
      await api.createParticipant(),
      await api.createParticipant(),
      await api.createParticipant(),
    ];
    for (const participant of participants)
      expectStatus(await api.register(event.id, participant.id), 200);
    for (const participant of participants.slice(0, 2)) {
      expectStatus(await api.send('DELETE', `/participant/delete/${participant.id}`), 204);
    }

    const response = await api.send('PUT', `/event/update/${event.id}`, {
      ...inputOf(event),
      capacity: 1,
    });

    expectStatus(response, 200);
    assertMatchesContract('event.update', response);
    assert.is(response.body.capacity, 1);
    assert.equal(
      response.body.participants.map((p: { id: number }) => p.id),
      [participants[2]?.id],
    );
  });

  test('deletes an event: 204, then 404 on read, update and a second delete', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const response = await api.send('DELETE', `/event/delete/${event.id}`);

    expectStatus(response, 204);
    assertMatchesContract('event.delete', response);
    assertProblem(await api.get(`/event/${event.id}`), 404, 'NOT_FOUND');
    const again = await api.send('DELETE', `/event/delete/${event.id}`);
    assertProblem(again, 404, 'NOT_FOUND');
    assertMatchesContract('event.delete', again);
    const update = await api.send('PUT', `/event/update/${event.id}`, inputOf(event));
    assertProblem(update, 404, 'NOT_FOUND');
  });

  test('deleting an event keeps its speakers and participants and unlinks them', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    const participant = await api.createParticipant();
    expectStatus(await api.link(speaker.id, event.id), 200);
    expectStatus(await api.register(event.id, participant.id), 200);

    expectStatus(await api.send('DELETE', `/event/delete/${event.id}`), 204);

    const speakerNow = await api.read<SpeakerDocument>(`/speaker/${speaker.id}`, 'speaker.get');
    assert.equal(speakerNow.events, []);
    assert.equal(await api.read(`/participant/${participant.id}`, 'participant.get'), participant);
    const organizerNow = await api.read<OrganizerDocument>(
      `/organizer/${organizer.id}`,
      'organizer.get',
    );
    assert.equal(organizerNow.events, []);
  });
});
