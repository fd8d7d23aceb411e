import * as assert from 'uvu/assert';
import type { EventDocument, ParticipantDocument } from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import { dialectSuites, expectStatus, idsOf, paginationOf } from './api-fixture.js';

const INVALID_PARTICIPANTS: [Record<string, unknown>, string][] = [
  [{ name: '', email: 'a@example.test' }, 'name'],
  [{ name: ' ', email: 'a@example.test' }, 'name'],
  [{ name: 'x'.repeat(201), email: 'a@example.test' }, 'name'],
  [{ email: 'a@example.test' }, 'name'],
  [{ name: 'A' }, 'email'],
  [{ name: 'A', email: 'not-an-address' }, 'email'],
  [{ name: 'A', email: 'a@b@example.test' }, 'email'],
  [{ name: 'A', email: 'a@example.test', interests: 'x'.repeat(151) }, 'interests'],
  [{ name: 'A', email: 'a@example.test', interests: 7 }, 'interests'],
  [{ name: 'A', email: 'a@example.test', events: [1] }, 'events'],
];

await dialectSuites('participant routes', (test, api) => {
  test('creates a participant: 201, Location and the participant', async () => {
    const response = await api.send('POST', '/participant', {
      name: 'Grace Hopper',
      email: 'grace@example.test',
      interests: 'Compilers',
    });

    expectStatus(response, 201);
    assertMatchesContract('participant.create', response);
    assert.equal(response.body, {
      id: response.body.id,
      name: 'Grace Hopper',
      email: 'grace@example.test',
      interests: 'Compilers',
    });
    assert.is(response.headers.get('location'), `/participant/${response.body.id}`);
  });

  test('stores omitted interests as null', async () => {
    const participant = await api.createParticipant({ name: 'No Interests' });

    assert.is(participant.interests, null);
    assert.equal(await api.read(`/participant/${participant.id}`, 'participant.get'), participant);
  });

  test('answers 400 VALIDATION_FAILED naming each invalid field on create', async () => {
    for (const [body, field] of INVALID_PARTICIPANTS) {
      const response = await api.send('POST', '/participant', body);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('participant.create', response);
      assert.ok(
        problem.errors?.[field] !== undefined,
        `${JSON.stringify(body)} names ${field}: ${response.text}`,
      );
    }
  });

  test('rejects a participant carrying __proto__ with 400', async () => {
    const response = await api.request('POST', '/participant', {
      token: api.token,
      rawBody: '{"name":"Proto","email":"proto@example.test","__proto__":{"interests":"x"}}',
      headers: { 'content-type': 'application/json' },
    });

    assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('participant.create', response);
  });

  test('returns a participant by id', async () => {
    const participant = await api.createParticipant({ interests: 'Chess' });

    const response = await api.get(`/participant/${participant.id}`);

    expectStatus(response, 200);
    assertMatchesContract('participant.get', response);
    assert.equal(response.body, participant);
  });

  test('answers 404 with NOT_FOUND for a participant that does not exist', async () => {
    const response = await api.get('/participant/2147483647');

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('participant.get', response);
  });

  test('updates a participant: 200 with the new fields, omitted interests become null', async () => {
    const participant = await api.createParticipant({ interests: 'Old' });

    const response = await api.send('PUT', `/participant/update/${participant.id}`, {
      name: 'Renamed Participant',
      email: 'renamed.participant@example.test',
    });

    expectStatus(response, 200);
    assertMatchesContract('participant.update', response);
    const expected = {
      id: participant.id,
      name: 'Renamed Participant',
      email: 'renamed.participant@example.test',
      interests: null,
    };
    assert.equal(response.body, expected);
    assert.equal(await api.read(`/participant/${participant.id}`, 'participant.get'), expected);
  });

  test('answers 404 NOT_FOUND when updating a participant that does not exist', async () => {
    const response = await api.send('PUT', '/participant/update/2147483647', {
      name: 'Ghost',
      email: 'ghost@example.test',
    });

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('participant.update', response);
  });

  test('answers 400 VALIDATION_FAILED naming each invalid field on update, and keeps the participant', async () => {
    const participant = await api.createParticipant();

    for (const [body, field] of INVALID_PARTICIPANTS) {
      const response = await api.send('PUT', `/participant/update/${participant.id}`, body);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('participant.update', response);
      assert.ok(
        problem.errors?.[field] !== undefined,
        `${JSON.stringify(body)} names ${field}: ${response.text}`,
      );
    }
    assert.equal(await api.read(`/participant/${participant.id}`, 'participant.get'), participant);
  });

  test('registers a participant for an event: 200 with the event listing them', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 3 });
    const participant = await api.createParticipant();

    const response = await api.register(event.id, participant.id);

    expectStatus(response, 200);
    assertMatchesContract('participant.register', response);
    assert.equal(response.body, {
      ...event,
      participants: [{ id: participant.id, name: participant.name, email: participant.email }],
    });
  });

  test('registering the same participant again answers 200 and lists them once', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 5 });
    const participant = await api.createParticipant();
    expectStatus(await api.register(event.id, participant.id), 200);

    const response = await api.register(event.id, participant.id);

    expectStatus(response, 200);
    assertMatchesContract('participant.register', response);
    assert.equal(idsOf(response.body.participants), [participant.id]);
    const listed = await api.get(`/participant/${event.id}/all`);
    assert.is(paginationOf(listed).totalCount, 1);
  });

  test('answers 404 NOT_FOUND when registering for an unknown event or an unknown participant', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const participant = await api.createParticipant();

    const noEvent = await api.register(2147483647, participant.id);
    const noParticipant = await api.register(event.id, 2147483647);

    assertProblem(noEvent, 404, 'NOT_FOUND');
    assertMatchesContract('participant.register', noEvent);
    assertProblem(noParticipant, 404, 'NOT_FOUND');
    assertMatchesContract('participant.register', noParticipant);
    assert.equal(await api.read(`/event/${event.id}`, 'event.get'), event);
  });

  test('answers 409 EVENT_FULL when the event is full, yet 200 for someone already registered', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 2 });
    const [first, second, third] = await Promise.all([
      api.createParticipant(),
      api.createParticipant(),
      api.createParticipant(),
    ]);
    expectStatus(await api.register(event.id, first.id), 200);
    expectStatus(await api.register(event.id, second.id), 200);

    const full = await api.register(event.id, third.id);
    const again = await api.register(event.id, first.id);

    assertProblem(full, 409, 'EVENT_FULL');
    assertMatchesContract('participant.register', full);
    expectStatus(again, 200);
    assertMatchesContract('participant.register', again);
    const stored = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.equal(idsOf(stored.participants), idsOf([first, second]));
  });

  test('a deleted participant frees their seat for someone else', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 2 });
    const [first, second, third] = await Promise.all([
      api.createParticipant(),
      api.createParticipant(),
      api.createParticipant(),
    ]);
    expectStatus(await api.register(event.id, first.id), 200);
    expectStatus(await api.register(event.id, second.id), 200);
    expectStatus(await api.send('DELETE', `/participant/delete/${first.id}`), 204);

    const response = await api.register(event.id, third.id);

    expectStatus(response, 200);
    assertMatchesContract('participant.register', response);
    assert.equal(idsOf(response.body.participants), idsOf([second, third]));
  });

  test('registers any number of participants for an event without capacity', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const participants: ParticipantDocument[] = [];
    for (let i = 0; i < 5; i++) participants.push(await api.createParticipant());

    for (const participant of participants)
      expectStatus(await api.register(event.id, participant.id), 200);

    const stored = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.equal(idsOf(stored.participants), idsOf(participants));
  });

  test('answers 400 for invalid ids when registering', async () => {
    const response = await api.send('POST', '/participant/-1/participant/2147483648');

    const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('participant.register', response);
    assert.ok(problem.errors?.['eventId'] !== undefined, response.text);
    assert.ok(problem.errors?.['participantId'] !== undefined, response.text);
  });

  test('lists the participants of one event with X-Pagination', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const other = await api.createEvent(organizer.id);
    const zed = await api.createParticipant({ name: 'Zed Listed', interests: 'Z' });
    const amy = await api.createParticipant({ name: 'Amy Listed' });
    const outsider = await api.createParticipant({ name: 'Bob Elsewhere' });
    expectStatus(await api.register(event.id, zed.id), 200);
    expectStatus(await api.register(event.id, amy.id), 200);
    expectStatus(await api.register(other.id, outsider.id), 200);

    const response = await api.get(`/participant/${event.id}/all`);

    expectStatus(response, 200);
    assertMatchesContract('participant.listByEvent', response);
    assert.equal(response.body, [amy, zed]);
    assert.equal(paginationOf(response), {
      totalCount: 2,
      pageSize: 10,
      pageNumber: 1,
      totalPages: 1,
      hasNextPage: false,
      hasPreviousPage: false,
    });
  });

  test('lists no participants of an event nobody registered for', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const response = await api.get(`/participant/${event.id}/all`);

    expectStatus(response, 200);
    assertMatchesContract('participant.listByEvent', response);
    assert.equal(response.body, []);
    assert.is(paginationOf(response).totalCount, 0);
  });

  test('answers 404 NOT_FOUND when listing the participants of an unknown event', async () => {
    const response = await api.get('/participant/2147483647/all');

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('participant.listByEvent', response);
  });

  test('deletes a participant: 204, 404 afterwards, and their events no longer list them', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const participant = await api.createParticipant();
    const stays = await api.createParticipant();
    expectStatus(await api.register(event.id, participant.id), 200);
    expectStatus(await api.register(event.id, stays.id), 200);

    const response = await api.send('DELETE', `/participant/delete/${participant.id}`);

    expectStatus(response, 204);
    assertMatchesContract('participant.delete', response);
    assertProblem(await api.get(`/participant/${participant.id}`), 404, 'NOT_FOUND');
    const stored = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.equal(idsOf(stored.participants), [stays.id]);
    const again = await api.send('DELETE', `/participant/delete/${participant.id}`);
    assertProblem(again, 404, 'NOT_FOUND');
    assertMatchesContract('participant.delete', again);
  });
});
