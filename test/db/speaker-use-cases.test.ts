import * as assert from 'uvu/assert';

import { STATISTICS_KEY, eventKey, speakerKey } from '../../src/domain/cache-keys.js';
import type { EventDocument, SpeakerDocument } from '../../src/domain/types.js';
import { assertFailure, dialectSuites, sortedKeys } from './db-fixture.js';

await dialectSuites('speaker use cases', (test, fixture) => {
  test('creates a speaker and invalidates the statistics', async () => {
    const result = await fixture.ok('speaker.create', {
      body: {
        name: 'Hana Tanaka',
        email: 'hana@example.com',
        biography: 'Compilers.',
        expertise: 'TypeScript',
      },
    });
    const speaker = result.value as SpeakerDocument;

    assert.equal(
      [result.status, result.location, result.invalidate],
      [201, `/speaker/${speaker.id}`, [STATISTICS_KEY]],
    );
    assert.equal(speaker, {
      id: speaker.id,
      name: 'Hana Tanaka',
      email: 'hana@example.com',
      biography: 'Compilers.',
      expertise: 'TypeScript',
      events: [],
    });
  });

  test('links a speaker to an event idempotently, invalidating speaker and event', async () => {
    const speakerId = await fixture.speaker();
    const eventId = await fixture.event();

    const first = await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId } });
    const again = await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId } });

    assert.equal(
      (first.value as EventDocument).speakers.map((s) => s.id),
      [speakerId],
    );
    assert.equal(
      (again.value as EventDocument).speakers.map((s) => s.id),
      [speakerId],
    );
    assert.equal(
      sortedKeys(first.invalidate),
      sortedKeys([speakerKey(speakerId), eventKey(eventId)]),
    );
    const rows = await fixture.db
      .selectFrom('event_speakers')
      .selectAll()
      .where('speaker_id', '=', speakerId)
      .execute();
    assert.equal(rows, [{ event_id: eventId, speaker_id: speakerId }]);

    const speaker = (await fixture.ok('speaker.get', { params: { id: speakerId } }))
      .value as SpeakerDocument;
    assert.equal(
      speaker.events.map((e) => e.id),
      [eventId],
    );
  });

  test('links concurrently without error or duplicate', async () => {
    const speakerId = await fixture.speaker();
    const eventId = await fixture.event();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        fixture.run('speaker.linkEvent', { params: { speakerId, eventId } }),
      ),
    );

    assert.ok(results.every((result) => result.ok));
    const rows = await fixture.db
      .selectFrom('event_speakers')
      .selectAll()
      .where('speaker_id', '=', speakerId)
      .execute();
    assert.is(rows.length, 1);
  });

  test('answers 404 when linking an unknown speaker or event', async () => {
    const speakerId = await fixture.speaker();
    const eventId = await fixture.event();
    assertFailure(
      await fixture.run('speaker.linkEvent', { params: { speakerId: 999_999, eventId } }),
      'NOT_FOUND',
    );
    assertFailure(
      await fixture.run('speaker.linkEvent', { params: { speakerId, eventId: 999_999 } }),
      'NOT_FOUND',
    );
  });

  test('updates a speaker and invalidates it and its events', async () => {
    const speakerId = await fixture.speaker();
    const [a, b] = [await fixture.event(), await fixture.event()];
    await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId: a } });
    await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId: b } });

    const result = await fixture.ok('speaker.update', {
      params: { id: speakerId },
      body: { name: 'New Name', email: 'new@example.com', biography: 'Bio.' },
    });

    assert.equal(
      (result.value as SpeakerDocument).expertise,
      null,
      'full replacement clears expertise',
    );
    assert.equal(
      sortedKeys(result.invalidate),
      sortedKeys([speakerKey(speakerId), eventKey(a), eventKey(b)]),
    );
    const event = (await fixture.ok('event.get', { params: { id: a } })).value as EventDocument;
    assert.is(event.speakers[0]?.name, 'New Name');
    assertFailure(
      await fixture.run('speaker.update', {
        params: { id: 999_999 },
        body: { name: 'x', email: 'x@y', biography: 'b' },
      }),
      'NOT_FOUND',
    );
  });

  test('deletes a speaker, unlinking it and invalidating its events and statistics', async () => {
    const speakerId = await fixture.speaker();
    const eventId = await fixture.event();
    await fixture.ok('speaker.linkEvent', { params: { speakerId, eventId } });

    const result = await fixture.ok('speaker.delete', { params: { id: speakerId } });

    assert.equal(
      sortedKeys(result.invalidate),
      sortedKeys([speakerKey(speakerId), eventKey(eventId), STATISTICS_KEY]),
    );
    const links = await fixture.db
      .selectFrom('event_speakers')
      .selectAll()
      .where('speaker_id', '=', speakerId)
      .execute();
    assert.equal(links, []);
    assert.equal(
      ((await fixture.ok('event.get', { params: { id: eventId } })).value as EventDocument)
        .speakers,
      [],
    );
    assertFailure(await fixture.run('speaker.delete', { params: { id: speakerId } }), 'NOT_FOUND');
    assertFailure(await fixture.run('speaker.get', { params: { id: speakerId } }), 'NOT_FOUND');
  });
});
