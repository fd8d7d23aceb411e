import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/db/connect.js';
import type { EventDocument, ParticipantDocument } from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import {
  dialectSuites,
  expectStatus,
  idsOf,
  inBatches,
  paginationOf,
  type ApiFixture,
  type ApiResponse,
} from './api-fixture.js';

interface RegistrationRow {
  participant_id: number;
  seat: number;
}

/** The registrations of an event as stored, read past the API and its cache. */
async function storedRegistrations(api: ApiFixture, eventId: number): Promise<RegistrationRow[]> {
  const handle = await openDatabase(api.dialect.url, { poolSize: 2 });
  try {
    return await handle.db
      .selectFrom('registrations')
      .select(['participant_id', 'seat'])
      .where('event_id', '=', eventId)
      .orderBy('seat')
      .execute();
  } finally {
    await handle.close();
  }
}

function statusCounts(responses: readonly ApiResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}

await dialectSuites('registration concurrency', (test, api) => {
  test('200 simultaneous registrations for 10 seats: exactly 10 succeed and 190 get EVENT_FULL', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 10 });
    const participants = await inBatches(200, () => api.createParticipant());

    const responses = await Promise.all(
      participants.map((participant) => api.register(event.id, participant.id)),
    );

    assert.equal(statusCounts(responses), { 200: 10, 409: 190 });
    for (const response of responses) {
      if (response.status === 409) assertProblem(response, 409, 'EVENT_FULL');
      assertMatchesContract('participant.register', response);
    }
    const winners = idsOf(participants.filter((_, index) => responses[index]?.status === 200));

    const listed = await api.get(`/participant/${event.id}/all?pageSize=50`);
    expectStatus(listed, 200);
    assert.is(paginationOf(listed).totalCount, 10);
    assert.equal(idsOf(listed.body as ParticipantDocument[]), winners);

    const page = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.equal(idsOf(page.participants), winners);

    const rows = await storedRegistrations(api, event.id);
    assert.is(rows.length, 10, 'registrations rows in the database');
    assert.equal(
      rows.map((row) => row.participant_id).sort((a, b) => a - b),
      winners,
    );
    assert.equal(
      rows.map((row) => row.seat),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      'one seat each, none twice',
    );
  });

  test('one participant registered 30 times at once: all 200 and registered once', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 100 });
    const participant = await api.createParticipant();

    const responses = await Promise.all(
      Array.from({ length: 30 }, () => api.register(event.id, participant.id)),
    );

    assert.equal(statusCounts(responses), { 200: 30 });
    for (const response of responses) {
      assertMatchesContract('participant.register', response);
      assert.equal(
        (response.body as EventDocument).participants.map((p) => p.id),
        [participant.id],
      );
    }
    const listed = await api.get(`/participant/${event.id}/all`);
    assert.is(paginationOf(listed).totalCount, 1);
    const rows = await storedRegistrations(api, event.id);
    assert.equal(
      rows.map((row) => row.participant_id),
      [participant.id],
    );
  });

  test('participants racing twice each for 5 seats never overbook nor double-register', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 5 });
    const participants = await inBatches(20, () => api.createParticipant());

    const attempts = [...participants, ...participants].map((participant) =>
      api.register(event.id, participant.id),
    );
    const responses = await Promise.all(attempts);

    for (const response of responses) {
      assert.ok(
        response.status === 200 || response.status === 409,
        `${response.status} ${response.text}`,
      );
      assertMatchesContract('participant.register', response);
    }
    const rows = await storedRegistrations(api, event.id);
    const registered = new Set(rows.map((row) => row.participant_id));
    assert.is(rows.length, 5);
    assert.is(registered.size, 5, 'nobody registered twice');
    // In any serial order, a participant's second attempt sees the outcome of the first.
    participants.forEach((participant, index) => {
      const statuses = [responses[index]?.status, responses[index + participants.length]?.status];
      const expected = registered.has(participant.id) ? 200 : 409;
      assert.equal(statuses, [expected, expected], `participant ${participant.id}`);
    });
  });

  test('registrations after the race still see the event as full', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 3 });
    const participants = await inBatches(12, () => api.createParticipant());
    await Promise.all(participants.map((participant) => api.register(event.id, participant.id)));
    const late = await api.createParticipant();

    const response = await api.register(event.id, late.id);

    assertProblem(response, 409, 'EVENT_FULL');
    assert.is((await storedRegistrations(api, event.id)).length, 3);
  });
});
