import { sql } from 'kysely';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/db/connect.js';
import { toDatabaseDate } from '../../src/domain/dates.js';
import type { EventDocument } from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import {
  type ApiFixture,
  type ApiResponse,
  dialectSuites,
  expectStatus,
  futureDate,
  nextNumber,
} from './api-fixture.js';
import { rawExchange } from './raw-http.js';

type Database = Awaited<ReturnType<typeof openDatabase>>['db'];

/** Runs `work` on a connection of its own, past the API and its cache. */
async function withDatabase<T>(api: ApiFixture, work: (db: Database) => Promise<T>): Promise<T> {
  const handle = await openDatabase(api.dialect.url, { poolSize: 1 });
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

function recordsOf(api: ApiFixture, key: string): Promise<{ operation: string }[]> {
  return withDatabase(api, (db) =>
    db
      .selectFrom('idempotency_keys')
      .select('operation')
      .where('idempotency_key', '=', key)
      .execute(),
  );
}

function participantsNamed(api: ApiFixture, email: string): Promise<{ id: number }[]> {
  return withDatabase(api, (db) =>
    db.selectFrom('participants').select('id').where('email', '=', email).execute(),
  );
}

/** Ids of the rows of `table` whose `column` holds `value`. */
async function idsWhere(api: ApiFixture, table: string, column: string, value: string) {
  const rows = await withDatabase(api, (db) =>
    sql<{
      id: number;
    }>`select id from ${sql.table(table)} where ${sql.ref(column)} = ${value}`.execute(db),
  );
  return rows.rows.map((row) => Number(row.id));
}

function newKey(): string {
  return `key-${process.pid}-${nextNumber()}-${Math.random().toString(36).slice(2)}`;
}

function participantBody(): { name: string; email: string } {
  const n = nextNumber();
  return { name: `Idempotent ${n}`, email: `idempotent${n}@example.test` };
}

/** A POST with the fixture user's token (or `token`) and an Idempotency-Key. */
async function post(
  api: ApiFixture,
  path: string,
  key: string,
  body?: unknown,
  token = api.token,
): Promise<ApiResponse> {
  const headers = { 'idempotency-key': key };
  return api.request(
    'POST',
    path,
    body === undefined ? { token, headers } : { body, token, headers },
  );
}

function isReplayed(response: ApiResponse): boolean {
  return response.headers.get('idempotency-replayed') === 'true';
}

function assertReplayOf(retry: ApiResponse, first: ApiResponse, operationId: string): void {
  expectStatus(retry, first.status);
  assertMatchesContract(operationId, retry);
  assert.ok(isReplayed(retry), `${retry.label}: Idempotency-Replayed: true`);
  assert.is(retry.text, first.text, 'the first body, byte for byte');
  assert.is(retry.headers.get('location'), first.headers.get('location'), 'the first Location');
}

await dialectSuites('Idempotency-Key', (test, api) => {
  test('a retry of each create with the same key and body replays the first 201 and adds no row', async () => {
    const organizer = await api.createOrganizer();
    const n = nextNumber();
    const creates = [
      ['/organizer', 'organizers', 'email', { name: 'O', email: `o${n}@example.test` }],
      ['/participant', 'participants', 'email', { name: 'P', email: `p${n}@example.test` }],
      ['/speaker', 'speakers', 'email', { name: 'S', email: `s${n}@example.test`, biography: 'B' }],
      [
        '/event',
        'events',
        'title',
        { title: `T${n}`, date: futureDate(3), location: 'L', organizerId: organizer.id },
      ],
    ] as const;

    for (const [path, table, column, body] of creates) {
      const key = newKey();
      const operationId = `${path.slice(1)}.create`;

      const first = await post(api, path, key, body);
      const retry = await post(api, path, key, body);

      expectStatus(first, 201);
      assertMatchesContract(operationId, first);
      assert.not.ok(isReplayed(first), 'the first answer is not a replay');
      assertReplayOf(retry, first, operationId);
      const value = column === 'title' ? body.title : body.email;
      const id = (first.body as { id: number }).id;
      assert.equal(await idsWhere(api, table, column, value), [id], `one ${table} row`);
      assert.equal(await recordsOf(api, key), [{ operation: operationId }], 'one record');
    }
  });

  test('the same body with its properties in another order is the same request', async () => {
    const key = newKey();
    const body = participantBody();

    const first = await post(api, '/participant', key, body);
    const retry = await post(api, '/participant', key, { email: body.email, name: body.name });

    expectStatus(first, 201);
    assertReplayOf(retry, first, 'participant.create');
  });

  test('the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED and creates nothing', async () => {
    const key = newKey();
    const other = participantBody();
    expectStatus(await post(api, '/participant', key, participantBody()), 201);

    const reused = await post(api, '/participant', key, other);

    assertProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
    assertMatchesContract('participant.create', reused);
    assert.equal(await participantsNamed(api, other.email), []);
  });

  test('the same key on another registration (other path ids) is 422', async () => {
    const event = await api.createEvent((await api.createOrganizer()).id, { capacity: 5 });
    const [first, second] = [await api.createParticipant(), await api.createParticipant()];
    const key = newKey();
    expectStatus(await post(api, `/participant/${event.id}/participant/${first.id}`, key), 200);

    const reused = await post(api, `/participant/${event.id}/participant/${second.id}`, key);

    assertProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
    assertMatchesContract('participant.register', reused);
    const page = await api.read<EventDocument>(`/event/${event.id}`, 'event.get');
    assert.equal(
      page.participants.map((p) => p.id),
      [first.id],
    );
  });

  test('a key is independent per operation and per user', async () => {
    const key = newKey();
    const body = participantBody();
    const otherUser = await api.server.login();

    const organizer = await post(api, '/organizer', key, { name: 'Org', email: body.email });
    const participant = await post(api, '/participant', key, body);
    const byOtherUser = await post(api, '/participant', key, body, otherUser);

    for (const response of [organizer, participant, byOtherUser]) {
      expectStatus(response, 201);
      assert.not.ok(isReplayed(response), `${response.label} is not a replay`);
    }
    assert.is.not((byOtherUser.body as { id: number }).id, (participant.body as { id: number }).id);
    assert.is((await participantsNamed(api, body.email)).length, 2);
    assert.is((await recordsOf(api, key)).length, 3);
  });

  test('invalid keys are 400 VALIDATION_FAILED naming the header, and create nothing', async () => {
    const body = participantBody();
    for (const key of ['k'.repeat(256), 'with space', 'with\ttab']) {
      const response = await post(api, '/participant', key, body);
      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('participant.create', response);
      assert.equal(Object.keys(problem.errors ?? {}), ['Idempotency-Key'], JSON.stringify(key));
    }

    const json = JSON.stringify(body);
    const raw = await rawExchange(api.server.api.port, [
      Buffer.from(
        `POST /participant HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${api.token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
          `Idempotency-Key: clé-unicode\r\n\r\n${json}`,
        'utf8',
      ),
    ]);
    assert.is(raw.status, 400, raw.head);
    assert.ok('Idempotency-Key' in (JSON.parse(raw.body) as { errors: object }).errors);
    assert.equal(await participantsNamed(api, body.email), []);
  });

  test('a key of 255 visible ASCII characters is accepted', async () => {
    const visible = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    const key = `${visible}${visible}${visible}`.slice(0, 240) + nextNumber().toString(36);
    const padded = key.padEnd(255, '~');
    const body = participantBody();

    const first = await post(api, '/participant', padded, body);
    const retry = await post(api, '/participant', padded, body);

    expectStatus(first, 201);
    assertReplayOf(retry, first, 'participant.create');
  });

  test('concurrent requests with one key create one row, and all but one are replays', async () => {
    const key = newKey();
    const body = participantBody();

    const responses = await Promise.all(
      Array.from({ length: 12 }, () => post(api, '/participant', key, body)),
    );

    for (const response of responses) {
      expectStatus(response, 201);
      assertMatchesContract('participant.create', response);
      assert.is(response.text, responses[0]?.text, 'every answer is the first one');
    }
    assert.is(responses.filter(isReplayed).length, 11, 'replays');
    assert.is((await participantsNamed(api, body.email)).length, 1, 'participant rows');
    assert.is((await recordsOf(api, key)).length, 1, 'records');
  });

  test('after the record expires, a retry creates a new row and a fresh record', async () => {
    const key = newKey();
    const body = participantBody();
    const first = await post(api, '/participant', key, body);
    expectStatus(first, 201);
    await withDatabase(api, (db) =>
      db
        .updateTable('idempotency_keys')
        .set({ expires_at: toDatabaseDate(new Date(Date.now() - 1000), api.dialect.name) })
        .where('idempotency_key', '=', key)
        .execute(),
    );

    const retry = await post(api, '/participant', key, body);
    const again = await post(api, '/participant', key, body);

    expectStatus(retry, 201);
    assert.not.ok(isReplayed(retry), 'an expired record is not replayed');
    assert.is.not((retry.body as { id: number }).id, (first.body as { id: number }).id);
    assertReplayOf(again, retry, 'participant.create');
    assert.is((await participantsNamed(api, body.email)).length, 2);
    const records = await withDatabase(api, (db) =>
      db
        .selectFrom('idempotency_keys')
        .select('expires_at')
        .where('idempotency_key', '=', key)
        .execute(),
    );
    assert.is(records.length, 1, 'the expired record was replaced');
    const expiresInMs = new Date(records[0]?.expires_at ?? 0).getTime() - Date.now();
    assert.ok(expiresInMs > 23 * 3600_000 && expiresInMs <= 24 * 3600_000, `${expiresInMs} ms`);
  });

  test('a registration retried with its key replays the first 200 after the event filled up', async () => {
    const event = await api.createEvent((await api.createOrganizer()).id, { capacity: 2 });
    const [first, second, late] = [
      await api.createParticipant(),
      await api.createParticipant(),
      await api.createParticipant(),
    ];
    const key = newKey();
    const path = `/participant/${event.id}/participant/${first.id}`;
    const registered = await post(api, path, key);
    expectStatus(await api.register(event.id, second.id), 200);
    assertProblem(await api.register(event.id, late.id), 409, 'EVENT_FULL');

    const retry = await post(api, path, key);

    expectStatus(registered, 200);
    assertReplayOf(retry, registered, 'participant.register');
    assert.equal(
      (retry.body as EventDocument).participants.map((p) => p.id),
      [first.id],
      'the first answer, from before the event filled up',
    );
    const rows = await withDatabase(api, (db) =>
      db.selectFrom('registrations').select('seat').where('event_id', '=', event.id).execute(),
    );
    assert.is(rows.length, 2);
  });

  test('a failed request is not recorded: the key stays free for a corrected request', async () => {
    const key = newKey();
    const event = { title: 'Orphan', date: futureDate(4), location: 'L', organizerId: 2_000_000 };

    const failed = await post(api, '/event', key, event);
    const organizer = await api.createOrganizer();
    const corrected = await post(api, '/event', key, { ...event, organizerId: organizer.id });

    assertProblem(failed, 422, 'ORGANIZER_NOT_FOUND');
    expectStatus(corrected, 201);
    assert.not.ok(isReplayed(corrected));
    assert.equal(await recordsOf(api, key), [{ operation: 'event.create' }]);
  });

  test('without the header, or on a route that does not honour it, nothing is recorded', async () => {
    const body = participantBody();
    const plain = [await api.send('POST', '/participant', body)];
    plain.push(await api.send('POST', '/participant', body));
    const id = (plain[0]?.body as { id: number }).id;
    const key = 'not a valid key';

    const update = await api.request('PUT', `/participant/update/${id}`, {
      body: { ...body, name: 'Renamed' },
      token: api.token,
      headers: { 'idempotency-key': key },
    });

    for (const response of plain) expectStatus(response, 201);
    expectStatus(update, 200);
    assert.is((await participantsNamed(api, body.email)).length, 2);
    assert.equal(await recordsOf(api, key), []);
  });
});
