import * as assert from 'uvu/assert';
import type { EventDocument, SpeakerDocument } from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import { byId, dialectSuites, expectStatus, summaryOf } from './api-fixture.js';

const VALID = { name: 'Linus', email: 'linus@example.test', biography: 'Writes kernels.' };

const INVALID_SPEAKERS: [Record<string, unknown>, string][] = [
  [{ ...VALID, name: '' }, 'name'],
  [{ ...VALID, name: '   ' }, 'name'],
  [{ ...VALID, name: 'x'.repeat(201) }, 'name'],
  [{ ...VALID, email: 'nobody' }, 'email'],
  [{ ...VALID, email: `${'x'.repeat(140)}@example.test` }, 'email'],
  [{ ...VALID, biography: '' }, 'biography'],
  [{ ...VALID, biography: 'x'.repeat(2001) }, 'biography'],
  [{ ...VALID, biography: null }, 'biography'],
  [{ name: VALID.name, email: VALID.email }, 'biography'],
  [{ ...VALID, expertise: 'x'.repeat(151) }, 'expertise'],
  [{ ...VALID, events: [] }, 'events'],
];

await dialectSuites('speaker routes', (test, api) => {
  test('creates a speaker: 201, Location and the speaker without events', async () => {
    const response = await api.send('POST', '/speaker', {
      ...VALID,
      expertise: 'Operating systems',
    });

    expectStatus(response, 201);
    assertMatchesContract('speaker.create', response);
    assert.equal(response.body, {
      id: response.body.id,
      ...VALID,
      expertise: 'Operating systems',
      events: [],
    });
    assert.is(response.headers.get('location'), `/speaker/${response.body.id}`);
  });

  test('stores omitted expertise as null and a biography of 2000 characters exactly', async () => {
    const biography = 'b'.repeat(1999) + 'ß';

    const speaker = await api.createSpeaker({ biography });

    assert.is(speaker.expertise, null);
    assert.equal(await api.read(`/speaker/${speaker.id}`, 'speaker.get'), {
      ...speaker,
      biography,
    });
  });

  test('answers 400 VALIDATION_FAILED naming each invalid field on create', async () => {
    for (const [body, field] of INVALID_SPEAKERS) {
      const response = await api.send('POST', '/speaker', body);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('speaker.create', response);
      assert.ok(
        problem.errors?.[field] !== undefined,
        `${JSON.stringify(body).slice(0, 80)} names ${field}: ${response.text}`,
      );
    }
  });

  test('rejects a speaker carrying __proto__ with 400', async () => {
    const response = await api.request('POST', '/speaker', {
      token: api.token,
      rawBody:
        '{"name":"P","email":"p@example.test","biography":"B","__proto__":{"expertise":"x"}}',
      headers: { 'content-type': 'application/json' },
    });

    assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('speaker.create', response);
  });

  test('returns a speaker with summaries of the events they speak at', async () => {
    const organizer = await api.createOrganizer();
    const first = await api.createEvent(organizer.id, { description: 'First talk' });
    const second = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    expectStatus(await api.link(speaker.id, first.id), 200);
    expectStatus(await api.link(speaker.id, second.id), 200);

    const response = await api.get(`/speaker/${speaker.id}`);

    expectStatus(response, 200);
    assertMatchesContract('speaker.get', response);
    const { events, ...fields } = response.body as SpeakerDocument;
    const { events: _none, ...created } = speaker;
    assert.equal(fields, created);
    assert.equal(byId(events), byId([summaryOf(first), summaryOf(second)]));
  });

  test('answers 404 with NOT_FOUND for a speaker that does not exist', async () => {
    const response = await api.get('/speaker/2147483647');

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('speaker.get', response);
  });

  test('updates a speaker: 200 with the new fields and their events', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker({ expertise: 'Old' });
    expectStatus(await api.link(speaker.id, event.id), 200);

    const response = await api.send('PUT', `/speaker/update/${speaker.id}`, {
      ...VALID,
      name: 'Renamed Speaker',
    });

    expectStatus(response, 200);
    assertMatchesContract('speaker.update', response);
    const expected = {
      id: speaker.id,
      ...VALID,
      name: 'Renamed Speaker',
      expertise: null,
      events: [summaryOf(event)],
    };
    assert.equal(response.body, expected);
    assert.equal(await api.read(`/speaker/${speaker.id}`, 'speaker.get'), expected);
  });

  test('answers 404 NOT_FOUND when updating a speaker that does not exist', async () => {
    const response = await api.send('PUT', '/speaker/update/2147483647', VALID);

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('speaker.update', response);
  });

  test('answers 400 VALIDATION_FAILED naming each invalid field on update, and keeps the speaker', async () => {
    const speaker = await api.createSpeaker();

    for (const [body, field] of INVALID_SPEAKERS) {
      const response = await api.send('PUT', `/speaker/update/${speaker.id}`, body);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('speaker.update', response);
      assert.ok(problem.errors?.[field] !== undefined, `names ${field}: ${response.text}`);
    }
    assert.equal(await api.read(`/speaker/${speaker.id}`, 'speaker.get'), speaker);
  });

  test('links a speaker to an event: 200 with the event listing the speaker', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker({ expertise: 'Databases' });

    const response = await api.link(speaker.id, event.id);

    expectStatus(response, 200);
    assertMatchesContract('speaker.linkEvent', response);
    assert.equal(response.body, {
      ...event,
      speakers: [
        { id: speaker.id, name: speaker.name, email: speaker.email, expertise: 'Databases' },
      ],
    });
  });

  test('linking the same speaker again answers 200 and lists them once', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    expectStatus(await api.link(speaker.id, event.id), 200);

    const response = await api.link(speaker.id, event.id);

    expectStatus(response, 200);
    assertMatchesContract('speaker.linkEvent', response);
    assert.equal(
      response.body.speakers.map((s: { id: number }) => s.id),
      [speaker.id],
    );
    const stored = await api.read<SpeakerDocument>(`/speaker/${speaker.id}`, 'speaker.get');
    assert.equal(stored.events, [summaryOf(event)]);
  });

  test('answers 404 NOT_FOUND when linking an unknown speaker or an unknown event', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();

    const noSpeaker = await api.link(2147483647, event.id);
    const noEvent = await api.link(speaker.id, 2147483647);

    assertProblem(noSpeaker, 404, 'NOT_FOUND');
    assertMatchesContract('speaker.linkEvent', noSpeaker);
    assertProblem(noEvent, 404, 'NOT_FOUND');
    assertMatchesContract('speaker.linkEvent', noEvent);
    assert.equal(await api.read(`/event/${event.id}`, 'event.get'), event);
  });

  test('answers 400 for invalid ids when linking', async () => {
    const response = await api.send('POST', '/speaker/1.5/event/1e3');

    const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('speaker.linkEvent', response);
    assert.ok(problem.errors?.['speakerId'] !== undefined, response.text);
    assert.ok(problem.errors?.['eventId'] !== undefined, response.text);
  });

  test('deletes a speaker: 204, 404 afterwards, and their events no longer list them', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    const stays = await api.createSpeaker();
    expectStatus(await api.link(speaker.id, event.id), 200);
    expectStatus(await api.link(stays.id, event.id), 200);

    const response = await api.send('DELETE', `/speaker/delete/${speaker.id}`);

    expectStatus(response, 204);
    assertMatchesContract('speaker.delete', response);
    assertProblem(await api.get(`/speaker/${speaker.id}`), 404, 'NOT_FOUND');
    const stored = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.equal(
      stored.speakers.map((s) => s.id),
      [stays.id],
    );
    const again = await api.send('DELETE', `/speaker/delete/${speaker.id}`);
    assertProblem(again, 404, 'NOT_FOUND');
    assertMatchesContract('speaker.delete', again);
  });
});
