/**
 * A registration whose connection to PostgreSQL drops around COMMIT, cut for real by a TCP
 * proxy between the API and the database: the API cannot know whether it committed, answers
 * 503, and the client's retry with the same Idempotency-Key must end with exactly one
 * registration either way. PostgreSQL only (SQLite has no connection to cut).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/db/connect.js';
import type { EventDocument } from '../../src/domain/types.js';
import { postgresOnly } from '../support/dialects.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import { type CutMode, PgCommitProxy } from '../support/pg-commit-proxy.js';
import { ApiFixture, expectStatus } from './api-fixture.js';

const postgres = await postgresOnly('idempotency commit loss');

if (postgres !== null) {
  const target = new URL(postgres.url);
  const proxy = await PgCommitProxy.start({ host: target.hostname, port: Number(target.port) });
  const proxied = new URL(postgres.url);
  proxied.port = String(proxy.port);
  const api = new ApiFixture({ ...postgres, url: proxied.toString() });
  const test = suite('Idempotency-Key when the connection drops at COMMIT [postgres]');

  /** Rows as stored, read past the proxy, the API and its cache. */
  const stored = async (eventId: number, key: string) => {
    const handle = await openDatabase(postgres.url, { poolSize: 1 });
    try {
      const registrations = await handle.db
        .selectFrom('registrations')
        .select('participant_id')
        .where('event_id', '=', eventId)
        .execute();
      const records = await handle.db
        .selectFrom('idempotency_keys')
        .select('status')
        .where('idempotency_key', '=', key)
        .execute();
      return { registrations, records };
    } finally {
      await handle.close();
    }
  };

  /** Registers with `key` while the proxy cuts the registration's COMMIT as `mode` says. */
  const registerWithCut = async (mode: CutMode, path: string, key: string) => {
    const cut = proxy.armOnce(mode);
    const response = await api.request('POST', path, {
      token: api.token,
      headers: { 'idempotency-key': key },
    });
    await cut;
    return response;
  };

  /** The event page, read twice so that it is in the cache. */
  const cacheEvent = async (eventId: number) => {
    await api.get(`/event/${eventId}`);
    const cached = await api.get(`/event/${eventId}`);
    assert.is(cached.headers.get('x-cache'), 'hit', 'the event page is cached');
  };

  test.before(() => api.start());
  test.after(async () => {
    try {
      await api.stop();
    } finally {
      await proxy.close();
    }
  });

  test('COMMIT reached the database: 503, the stale page is dropped, and the retry replays the 200', async () => {
    const event = await api.createEvent((await api.createOrganizer()).id, { capacity: 5 });
    const participant = await api.createParticipant();
    const path = `/participant/${event.id}/participant/${participant.id}`;
    const key = `commit-lost-after-${event.id}`;
    await cacheEvent(event.id);

    const cutOff = await registerWithCut('after-commit', path, key);
    const page = await api.get(`/event/${event.id}`);
    const retry = await api.request('POST', path, {
      token: api.token,
      headers: { 'idempotency-key': key },
    });

    assertProblem(cutOff, 503, 'SERVICE_UNAVAILABLE');
    assertMatchesContract('participant.register', cutOff);
    // The write may have committed, so its cache keys were dropped even on the 503.
    assert.is(page.headers.get('x-cache'), 'miss', 'the event page was invalidated');
    assert.equal(
      (page.body as EventDocument).participants.map((p) => p.id),
      [participant.id],
    );
    expectStatus(retry, 200);
    assertMatchesContract('participant.register', retry);
    assert.is(retry.headers.get('idempotency-replayed'), 'true', 'answered from the record');
    assert.equal(
      (retry.body as EventDocument).participants.map((p) => p.id),
      [participant.id],
    );
    assert.equal(await stored(event.id, key), {
      registrations: [{ participant_id: participant.id }],
      records: [{ status: 200 }],
    });
  });

  test('COMMIT never sent: 503, nothing stored, and the retry registers exactly once', async () => {
    const event = await api.createEvent((await api.createOrganizer()).id, { capacity: 5 });
    const participant = await api.createParticipant();
    const path = `/participant/${event.id}/participant/${participant.id}`;
    const key = `commit-lost-before-${event.id}`;

    const cutOff = await registerWithCut('before-commit', path, key);
    const between = await stored(event.id, key);
    const retry = await api.request('POST', path, {
      token: api.token,
      headers: { 'idempotency-key': key },
    });

    assertProblem(cutOff, 503, 'SERVICE_UNAVAILABLE');
    assert.equal(between, { registrations: [], records: [] }, 'rolled back');
    expectStatus(retry, 200);
    assertMatchesContract('participant.register', retry);
    assert.is(retry.headers.get('idempotency-replayed'), null, 'a first answer, not a replay');
    assert.equal(await stored(event.id, key), {
      registrations: [{ participant_id: participant.id }],
      records: [{ status: 200 }],
    });
  });

  test.run();
}
