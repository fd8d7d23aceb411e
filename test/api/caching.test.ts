import * as assert from 'uvu/assert';
import type {
  EventDocument,
  OrganizerDocument,
  ParticipantDocument,
  SpeakerDocument,
  Statistics,
} from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem, TRACE_ID } from '../support/openapi-responses.js';
import { dialectSuites, expectStatus, inputOf, summaryOf, type ApiFixture } from './api-fixture.js';

const OPERATION_OF: Record<string, string> = {
  event: 'event.get',
  organizer: 'organizer.get',
  speaker: 'speaker.get',
  participant: 'participant.get',
  dashboard: 'statistics.get',
};

function operationOf(path: string): string {
  return OPERATION_OF[path.split('/')[1] ?? ''] ?? 'unknown';
}

/**
 * Reads each page twice and checks the second read is a cache hit, so that the write that
 * follows in a test has cached documents to make stale.
 */
async function prime(api: ApiFixture, ...paths: string[]): Promise<void> {
  for (const path of paths) {
    expectStatus(await api.get(path), 200);
    const second = await api.get(path);
    expectStatus(second, 200);
    assert.is(second.headers.get('x-cache'), 'hit', `${path} is cached before the write`);
  }
}

async function read<T>(api: ApiFixture, path: string): Promise<T> {
  return api.read<T>(path, operationOf(path));
}

async function statistics(api: ApiFixture): Promise<Statistics> {
  return read<Statistics>(api, '/dashboard/statistics/all');
}

await dialectSuites('caching', (test, api) => {
  test('serves the second read of every cached document from the cache with the same ETag', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    const participant = await api.createParticipant();
    const paths = [
      `/event/${event.id}`,
      `/organizer/${organizer.id}`,
      `/speaker/${speaker.id}`,
      `/participant/${participant.id}`,
      '/dashboard/statistics/all',
    ];

    for (const path of paths) {
      const first = await api.get(path);
      const second = await api.get(path);

      expectStatus(first, 200);
      expectStatus(second, 200);
      assertMatchesContract(operationOf(path), first);
      assertMatchesContract(operationOf(path), second);
      if (!path.startsWith('/dashboard'))
        assert.is(first.headers.get('x-cache'), 'miss', `${path} first read`);
      assert.is(second.headers.get('x-cache'), 'hit', `${path} second read`);
      assert.is(second.headers.get('etag'), first.headers.get('etag'), `${path} ETag`);
      assert.is(second.text, first.text, `${path} body`);
    }
  });

  test('answers 304 without a body to If-None-Match holding the current ETag', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const path = `/event/${event.id}`;
    const etag = (await api.get(path)).headers.get('etag') ?? '';

    for (const ifNoneMatch of [etag, `W/${etag}`, `"something-else", ${etag}`, '*']) {
      const response = await api.get(path, { 'if-none-match': ifNoneMatch });

      assert.is(response.status, 304, `If-None-Match: ${ifNoneMatch}`);
      assertMatchesContract('event.get', response);
      assert.is(response.text, '');
      assert.is(response.headers.get('etag'), etag);
      assert.match(response.headers.get('x-trace-id') ?? '', TRACE_ID);
    }
  });

  test('answers 304 to If-None-Match on a cache miss too, and on statistics and other documents', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    const participant = await api.createParticipant();
    const eventEtag = (await api.get(`/event/${event.id}`)).headers.get('etag') ?? '';
    // An update that changes nothing drops the cached page but keeps the same document.
    expectStatus(await api.send('PUT', `/event/update/${event.id}`, inputOf(event)), 200);

    const afterMiss = await api.get(`/event/${event.id}`, { 'if-none-match': eventEtag });

    assert.is(afterMiss.status, 304);
    assert.is(afterMiss.headers.get('x-cache'), 'miss');
    for (const path of [
      `/organizer/${organizer.id}`,
      `/speaker/${speaker.id}`,
      `/participant/${participant.id}`,
      '/dashboard/statistics/all',
    ]) {
      const etag = (await api.get(path)).headers.get('etag') ?? '';
      const response = await api.get(path, { 'if-none-match': etag });
      assert.is(response.status, 304, path);
      assertMatchesContract(operationOf(path), response);
    }
  });

  test('answers 200 with the new document to If-None-Match holding an outdated ETag', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const path = `/event/${event.id}`;
    const oldEtag = (await api.get(path)).headers.get('etag') ?? '';
    expectStatus(
      await api.send('PUT', `/event/update/${event.id}`, {
        ...inputOf(event),
        title: 'Changed Title',
      }),
      200,
    );

    const response = await api.get(path, { 'if-none-match': oldEtag });

    expectStatus(response, 200);
    assertMatchesContract('event.get', response);
    assert.is(response.body.title, 'Changed Title');
    assert.is.not(response.headers.get('etag'), oldEtag);
  });

  test('updating an event refreshes its page and the summaries on its organizer and speakers', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    expectStatus(await api.link(speaker.id, event.id), 200);
    await prime(api, `/event/${event.id}`, `/organizer/${organizer.id}`, `/speaker/${speaker.id}`);

    const updated = await api.send('PUT', `/event/update/${event.id}`, {
      ...inputOf(event),
      title: 'New Title',
      description: 'New description',
      location: 'New Place',
    });

    expectStatus(updated, 200);
    const summary = {
      ...summaryOf(event),
      title: 'New Title',
      description: 'New description',
      location: 'New Place',
    };
    assert.equal(await read(api, `/event/${event.id}`), updated.body);
    assert.equal((await read<OrganizerDocument>(api, `/organizer/${organizer.id}`)).events, [
      summary,
    ]);
    assert.equal((await read<SpeakerDocument>(api, `/speaker/${speaker.id}`)).events, [summary]);
  });

  test('a read in flight during an update never leaves the old event cached', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    for (let round = 0; round < 10; round++) {
      const title = `Raced Title ${round}`;
      const readers = Array.from({ length: 8 }, () => api.get(`/event/${event.id}`));
      const update = await api.send('PUT', `/event/update/${event.id}`, {
        ...inputOf(event),
        title,
      });
      expectStatus(update, 200);

      const after = await read<EventDocument>(api, `/event/${event.id}`);
      assert.is(after.title, title, `round ${round}`);
      for (const reader of await Promise.all(readers)) expectStatus(reader, 200);
      assert.is(
        (await read<EventDocument>(api, `/event/${event.id}`)).title,
        title,
        `round ${round}, later`,
      );
    }
  });

  test('creating an event refreshes its organizer page and the statistics', async () => {
    const organizer = await api.createOrganizer();
    const existing = await api.createEvent(organizer.id);
    await prime(api, `/organizer/${organizer.id}`, '/dashboard/statistics/all');
    const before = await statistics(api);

    const created = await api.createEvent(organizer.id, { title: 'Created While Cached' });

    const page = await read<OrganizerDocument>(api, `/organizer/${organizer.id}`);
    assert.equal(
      page.events.map((event) => event.id).sort((a, b) => a - b),
      [existing.id, created.id].sort((a, b) => a - b),
    );
    assert.equal(
      page.events.find((event) => event.id === created.id),
      summaryOf(created),
    );
    assert.is((await statistics(api)).eventCount, before.eventCount + 1);
  });

  test('updating an organizer refreshes its page and the pages of its events', async () => {
    const organizer = await api.createOrganizer();
    const first = await api.createEvent(organizer.id);
    const second = await api.createEvent(organizer.id);
    await prime(api, `/organizer/${organizer.id}`, `/event/${first.id}`, `/event/${second.id}`);

    expectStatus(
      await api.send('PUT', `/organizer/update/${organizer.id}`, {
        name: 'New Organizer Name',
        email: 'new.org@example.test',
      }),
      200,
    );

    const expected = {
      id: organizer.id,
      name: 'New Organizer Name',
      email: 'new.org@example.test',
    };
    const page = await read<OrganizerDocument>(api, `/organizer/${organizer.id}`);
    assert.equal({ id: page.id, name: page.name, email: page.email }, expected);
    for (const event of [first, second]) {
      assert.equal(
        (await read<EventDocument>(api, `/event/${event.id}`)).organizer,
        expected,
        `event ${event.id}`,
      );
    }
  });

  test('moving an event to another organizer refreshes both organizers and the event', async () => {
    const from = await api.createOrganizer();
    const to = await api.createOrganizer();
    const event = await api.createEvent(from.id);
    await prime(api, `/organizer/${from.id}`, `/organizer/${to.id}`, `/event/${event.id}`);

    expectStatus(await api.send('POST', `/organizer/${to.id}/event/${event.id}`), 200);

    assert.equal((await read<OrganizerDocument>(api, `/organizer/${from.id}`)).events, []);
    assert.equal((await read<OrganizerDocument>(api, `/organizer/${to.id}`)).events, [
      summaryOf(event),
    ]);
    assert.equal((await read<EventDocument>(api, `/event/${event.id}`)).organizer, {
      id: to.id,
      name: to.name,
      email: to.email,
    });
  });

  test('moving an event through an update refreshes both organizers and the event', async () => {
    const from = await api.createOrganizer();
    const to = await api.createOrganizer();
    const event = await api.createEvent(from.id);
    await prime(api, `/organizer/${from.id}`, `/organizer/${to.id}`, `/event/${event.id}`);

    expectStatus(
      await api.send('PUT', `/event/update/${event.id}`, { ...inputOf(event), organizerId: to.id }),
      200,
    );

    assert.equal((await read<OrganizerDocument>(api, `/organizer/${from.id}`)).events, []);
    assert.equal((await read<OrganizerDocument>(api, `/organizer/${to.id}`)).events, [
      summaryOf(event),
    ]);
    assert.equal((await read<EventDocument>(api, `/event/${event.id}`)).organizer, {
      id: to.id,
      name: to.name,
      email: to.email,
    });
  });

  test('registering a participant refreshes the event page', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const participant = await api.createParticipant();
    await prime(api, `/event/${event.id}`, `/participant/${participant.id}`);

    expectStatus(await api.register(event.id, participant.id), 200);

    const page = await read<EventDocument>(api, `/event/${event.id}`);
    assert.equal(page.participants, [
      { id: participant.id, name: participant.name, email: participant.email },
    ]);
  });

  test('updating a participant refreshes their page and every event page that lists them', async () => {
    const organizer = await api.createOrganizer();
    const events = [await api.createEvent(organizer.id), await api.createEvent(organizer.id)];
    const participant = await api.createParticipant();
    for (const event of events) expectStatus(await api.register(event.id, participant.id), 200);
    await prime(api, `/participant/${participant.id}`, ...events.map((e) => `/event/${e.id}`));

    const body = {
      name: 'New Participant Name',
      email: 'new.participant@example.test',
      interests: 'Tea',
    };
    expectStatus(await api.send('PUT', `/participant/update/${participant.id}`, body), 200);

    assert.equal(await read(api, `/participant/${participant.id}`), {
      id: participant.id,
      ...body,
    });
    for (const event of events) {
      const page = await read<EventDocument>(api, `/event/${event.id}`);
      assert.equal(
        page.participants,
        [{ id: participant.id, name: body.name, email: body.email }],
        `event ${event.id}`,
      );
    }
  });

  test('linking a speaker refreshes the speaker page and the event page', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker({ expertise: 'Caching' });
    await prime(api, `/event/${event.id}`, `/speaker/${speaker.id}`);

    expectStatus(await api.link(speaker.id, event.id), 200);

    assert.equal((await read<SpeakerDocument>(api, `/speaker/${speaker.id}`)).events, [
      summaryOf(event),
    ]);
    assert.equal((await read<EventDocument>(api, `/event/${event.id}`)).speakers, [
      { id: speaker.id, name: speaker.name, email: speaker.email, expertise: 'Caching' },
    ]);
  });

  test('updating a speaker refreshes their page and every event page that lists them', async () => {
    const organizer = await api.createOrganizer();
    const events = [await api.createEvent(organizer.id), await api.createEvent(organizer.id)];
    const speaker = await api.createSpeaker();
    for (const event of events) expectStatus(await api.link(speaker.id, event.id), 200);
    await prime(api, `/speaker/${speaker.id}`, ...events.map((e) => `/event/${e.id}`));

    const body = {
      name: 'New Speaker Name',
      email: 'new.speaker@example.test',
      biography: 'New bio.',
      expertise: 'Новое',
    };
    expectStatus(await api.send('PUT', `/speaker/update/${speaker.id}`, body), 200);

    const page = await read<SpeakerDocument>(api, `/speaker/${speaker.id}`);
    assert.equal({ ...page, events: [] }, { id: speaker.id, ...body, events: [] });
    for (const event of events) {
      const eventPage = await read<EventDocument>(api, `/event/${event.id}`);
      assert.equal(eventPage.speakers, [
        { id: speaker.id, name: body.name, email: body.email, expertise: body.expertise },
      ]);
    }
  });

  test('deleting a speaker makes their page 404 at once and refreshes the events that showed them', async () => {
    const organizer = await api.createOrganizer();
    const events = [await api.createEvent(organizer.id), await api.createEvent(organizer.id)];
    const speaker = await api.createSpeaker();
    for (const event of events) expectStatus(await api.link(speaker.id, event.id), 200);
    await prime(api, `/speaker/${speaker.id}`, ...events.map((e) => `/event/${e.id}`));

    expectStatus(await api.send('DELETE', `/speaker/delete/${speaker.id}`), 204);

    assertProblem(await api.get(`/speaker/${speaker.id}`), 404, 'NOT_FOUND');
    for (const event of events)
      assert.equal((await read<EventDocument>(api, `/event/${event.id}`)).speakers, []);
  });

  test('deleting a participant makes their page 404 at once and refreshes the events that showed them', async () => {
    const organizer = await api.createOrganizer();
    const events = [await api.createEvent(organizer.id), await api.createEvent(organizer.id)];
    const participant = await api.createParticipant();
    for (const event of events) expectStatus(await api.register(event.id, participant.id), 200);
    await prime(api, `/participant/${participant.id}`, ...events.map((e) => `/event/${e.id}`));

    expectStatus(await api.send('DELETE', `/participant/delete/${participant.id}`), 204);

    assertProblem(await api.get(`/participant/${participant.id}`), 404, 'NOT_FOUND');
    for (const event of events)
      assert.equal((await read<EventDocument>(api, `/event/${event.id}`)).participants, []);
  });

  test('deleting an event makes its page 404 at once and refreshes its organizer and speakers', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const kept = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    expectStatus(await api.link(speaker.id, event.id), 200);
    await prime(api, `/event/${event.id}`, `/organizer/${organizer.id}`, `/speaker/${speaker.id}`);

    expectStatus(await api.send('DELETE', `/event/delete/${event.id}`), 204);

    assertProblem(await api.get(`/event/${event.id}`), 404, 'NOT_FOUND');
    assert.equal((await read<OrganizerDocument>(api, `/organizer/${organizer.id}`)).events, [
      summaryOf(kept),
    ]);
    assert.equal((await read<SpeakerDocument>(api, `/speaker/${speaker.id}`)).events, []);
  });

  test('deleting an organizer makes its page and its cached events 404 at once and refreshes speaker pages', async () => {
    const organizer = await api.createOrganizer();
    const other = await api.createOrganizer();
    const events = [await api.createEvent(organizer.id), await api.createEvent(organizer.id)];
    const elsewhere = await api.createEvent(other.id);
    const speaker = await api.createSpeaker();
    const participant = await api.createParticipant();
    for (const event of [...events, elsewhere])
      expectStatus(await api.link(speaker.id, event.id), 200);
    expectStatus(await api.register(events[0]?.id ?? 0, participant.id), 200);
    await prime(
      api,
      `/organizer/${organizer.id}`,
      ...events.map((e) => `/event/${e.id}`),
      `/speaker/${speaker.id}`,
      `/participant/${participant.id}`,
    );

    expectStatus(await api.send('DELETE', `/organizer/delete/${organizer.id}`), 204);

    assertProblem(await api.get(`/organizer/${organizer.id}`), 404, 'NOT_FOUND');
    for (const event of events)
      assertProblem(await api.get(`/event/${event.id}`), 404, 'NOT_FOUND');
    assert.equal((await read<SpeakerDocument>(api, `/speaker/${speaker.id}`)).events, [
      summaryOf(elsewhere),
    ]);
    assert.equal(
      await read<ParticipantDocument>(api, `/participant/${participant.id}`),
      participant,
    );
  });

  test('statistics count creates and deletes at once despite being cached', async () => {
    const before = await statistics(api);
    await prime(api, '/dashboard/statistics/all');

    const organizer = await api.createOrganizer();
    assert.is((await statistics(api)).organizerCount, before.organizerCount + 1);
    const events = [await api.createEvent(organizer.id), await api.createEvent(organizer.id)];
    assert.is((await statistics(api)).eventCount, before.eventCount + 2);
    const speaker = await api.createSpeaker();
    assert.is((await statistics(api)).speakerCount, before.speakerCount + 1);
    const participant = await api.createParticipant();
    assert.is((await statistics(api)).participantCount, before.participantCount + 1);

    expectStatus(await api.send('DELETE', `/event/delete/${events[0]?.id ?? 0}`), 204);
    assert.is((await statistics(api)).eventCount, before.eventCount + 1);
    expectStatus(await api.send('DELETE', `/organizer/delete/${organizer.id}`), 204);
    expectStatus(await api.send('DELETE', `/speaker/delete/${speaker.id}`), 204);
    expectStatus(await api.send('DELETE', `/participant/delete/${participant.id}`), 204);
    assert.equal(await statistics(api), before);
  });
});
