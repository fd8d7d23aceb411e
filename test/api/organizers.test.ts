import * as assert from 'uvu/assert';
import type { OrganizerDocument } from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import { byId, dialectSuites, expectStatus, futureDate, summaryOf } from './api-fixture.js';

const INVALID_PEOPLE: [Record<string, unknown>, string][] = [
  [{ name: '', email: 'a@example.test' }, 'name'],
  [{ name: '  ', email: 'a@example.test' }, 'name'],
  [{ name: 'x'.repeat(201), email: 'a@example.test' }, 'name'],
  [{ email: 'a@example.test' }, 'name'],
  [{ name: 'A' }, 'email'],
  [{ name: 'A', email: 'no-at.example.test' }, 'email'],
  [{ name: 'A', email: '@example.test' }, 'email'],
  [{ name: 'A', email: 'someone@' }, 'email'],
  [{ name: 'A', email: 'two@at@example.test' }, 'email'],
  [{ name: 'A', email: 'spa ce@example.test' }, 'email'],
  [{ name: 'A', email: `${'x'.repeat(140)}@example.test` }, 'email'],
  [{ name: 'A', email: 'a@example.test', events: [] }, 'events'],
  [{ name: 'A', email: 'a@example.test', id: 1 }, 'id'],
];

await dialectSuites('organizer routes', (test, api) => {
  test('creates an organizer: 201, Location and the organizer without events', async () => {
    const response = await api.send('POST', '/organizer', {
      name: 'Acme Events',
      email: 'Team@Acme.example',
    });

    expectStatus(response, 201);
    assertMatchesContract('organizer.create', response);
    assert.equal(response.body, {
      id: response.body.id,
      name: 'Acme Events',
      email: 'Team@Acme.example',
      events: [],
    });
    assert.is(response.headers.get('location'), `/organizer/${response.body.id}`);
  });

  test('accepts a name of 200 and an e-mail of 150 characters', async () => {
    const name = 'N'.repeat(200);
    const email = `${'e'.repeat(137)}@example.test`;

    const organizer = await api.createOrganizer({ name, email });

    assert.is(email.length, 150);
    assert.equal(await api.read(`/organizer/${organizer.id}`, 'organizer.get'), {
      id: organizer.id,
      name,
      email,
      events: [],
    });
  });

  test('answers 400 VALIDATION_FAILED naming each invalid field on create', async () => {
    for (const [body, field] of INVALID_PEOPLE) {
      const response = await api.send('POST', '/organizer', body);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('organizer.create', response);
      assert.ok(
        problem.errors?.[field] !== undefined,
        `${JSON.stringify(body)} names ${field}: ${response.text}`,
      );
    }
  });

  test('rejects an organizer carrying __proto__ with 400', async () => {
    const response = await api.request('POST', '/organizer', {
      token: api.token,
      rawBody: '{"name":"Proto","email":"proto@example.test","__proto__":{"id":1}}',
      headers: { 'content-type': 'application/json' },
    });

    assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('organizer.create', response);
  });

  test('returns an organizer with summaries of its events', async () => {
    const organizer = await api.createOrganizer();
    const later = await api.createEvent(organizer.id, {
      date: futureDate(20),
      description: 'Later one',
    });
    const sooner = await api.createEvent(organizer.id, { date: futureDate(10) });

    const response = await api.get(`/organizer/${organizer.id}`);

    expectStatus(response, 200);
    assertMatchesContract('organizer.get', response);
    const { events, ...fields } = response.body as OrganizerDocument;
    assert.equal(fields, { id: organizer.id, name: organizer.name, email: organizer.email });
    assert.equal(byId(events), byId([summaryOf(sooner), summaryOf(later)]));
  });

  test('answers 404 with NOT_FOUND for an organizer that does not exist', async () => {
    const response = await api.get('/organizer/2147483647');

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('organizer.get', response);
  });

  test('updates an organizer: 200 with its events', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const response = await api.send('PUT', `/organizer/update/${organizer.id}`, {
      name: 'Renamed Organizer',
      email: 'renamed@example.test',
    });

    expectStatus(response, 200);
    assertMatchesContract('organizer.update', response);
    const expected = {
      id: organizer.id,
      name: 'Renamed Organizer',
      email: 'renamed@example.test',
      events: [summaryOf(event)],
    };
    assert.equal(response.body, expected);
    assert.equal(await api.read(`/organizer/${organizer.id}`, 'organizer.get'), expected);
  });

  test('answers 404 NOT_FOUND when updating an organizer that does not exist', async () => {
    const response = await api.send('PUT', '/organizer/update/2147483647', {
      name: 'Ghost',
      email: 'ghost@example.test',
    });

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('organizer.update', response);
  });

  test('answers 400 VALIDATION_FAILED naming each invalid field on update, and keeps the organizer', async () => {
    const organizer = await api.createOrganizer();

    for (const [body, field] of INVALID_PEOPLE) {
      const response = await api.send('PUT', `/organizer/update/${organizer.id}`, body);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('organizer.update', response);
      assert.ok(
        problem.errors?.[field] !== undefined,
        `${JSON.stringify(body)} names ${field}: ${response.text}`,
      );
    }
    assert.equal(await api.read(`/organizer/${organizer.id}`, 'organizer.get'), organizer);
  });

  test('moves an event to another organizer: 200 with the event under its new organizer', async () => {
    const first = await api.createOrganizer();
    const second = await api.createOrganizer();
    const event = await api.createEvent(first.id);

    const response = await api.send('POST', `/organizer/${second.id}/event/${event.id}`);

    expectStatus(response, 200);
    assertMatchesContract('organizer.assignEvent', response);
    assert.equal(response.body, {
      ...event,
      organizer: { id: second.id, name: second.name, email: second.email },
    });
    const firstNow = await api.read<OrganizerDocument>(`/organizer/${first.id}`, 'organizer.get');
    const secondNow = await api.read<OrganizerDocument>(`/organizer/${second.id}`, 'organizer.get');
    assert.equal(firstNow.events, []);
    assert.equal(secondNow.events, [summaryOf(event)]);
  });

  test('answers 200 when the event already belongs to that organizer', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const response = await api.send('POST', `/organizer/${organizer.id}/event/${event.id}`);

    expectStatus(response, 200);
    assertMatchesContract('organizer.assignEvent', response);
    assert.equal(response.body, event);
  });

  test('answers 404 NOT_FOUND when moving to an unknown organizer or moving an unknown event', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const noOrganizer = await api.send('POST', `/organizer/2147483647/event/${event.id}`);
    const noEvent = await api.send('POST', `/organizer/${organizer.id}/event/2147483647`);

    assertProblem(noOrganizer, 404, 'NOT_FOUND');
    assertMatchesContract('organizer.assignEvent', noOrganizer);
    assertProblem(noEvent, 404, 'NOT_FOUND');
    assertMatchesContract('organizer.assignEvent', noEvent);
    assert.equal(await api.read(`/event/${event.id}`, 'event.get'), event);
  });

  test('answers 400 for invalid ids when moving an event', async () => {
    const response = await api.send('POST', '/organizer/abc/event/0');

    const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('organizer.assignEvent', response);
    assert.ok(problem.errors?.['organizerId'] !== undefined, response.text);
    assert.ok(problem.errors?.['eventId'] !== undefined, response.text);
  });

  test('deletes an organizer with its events: 204, then both are 404', async () => {
    const organizer = await api.createOrganizer();
    const events = [await api.createEvent(organizer.id), await api.createEvent(organizer.id)];
    const participant = await api.createParticipant();
    expectStatus(await api.register(events[0]?.id ?? 0, participant.id), 200);

    const response = await api.send('DELETE', `/organizer/delete/${organizer.id}`);

    expectStatus(response, 204);
    assertMatchesContract('organizer.delete', response);
    assertProblem(await api.get(`/organizer/${organizer.id}`), 404, 'NOT_FOUND');
    for (const event of events)
      assertProblem(await api.get(`/event/${event.id}`), 404, 'NOT_FOUND');
    assert.equal(await api.read(`/participant/${participant.id}`, 'participant.get'), participant);
  });

  test('answers 404 NOT_FOUND when deleting an organizer that does not exist', async () => {
    const organizer = await api.createOrganizer();
    expectStatus(await api.send('DELETE', `/organizer/delete/${organizer.id}`), 204);

    const response = await api.send('DELETE', `/organizer/delete/${organizer.id}`);

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('organizer.delete', response);
  });
});
