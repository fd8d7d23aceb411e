/**
 * Database trouble is bounded: real faults under the running API on PostgreSQL. Sessions
 * are terminated with pg_terminate_backend under HTTP load, and the database is taken away
 * (and given back) by a TCP proxy between the API and PostgreSQL. Every answer must be a
 * success, an expected 4xx or a clean 503; never a 500, never a hang. PostgreSQL only
 * (SQLite has no server to lose).
 */
import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/db/connect.js';
import type { ErrorCode } from '../../src/domain/errors.js';
import { postgresOnly } from '../support/dialects.js';
import {
  assertMatchesContract,
  assertProblem,
  operationIdFor,
} from '../support/openapi-responses.js';
import type { RequestOptions, TestResponse } from '../support/server.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { ApiFixture, expectStatus, nextNumber } from './api-fixture.js';

/** Longer than the 10 s request deadline: an answer later than this is a hang. */
const HANG_MS = 15_000;
/** "Fail fast" for a request while the database is down: well under the deadline. */
const FAIL_FAST_MS = 2_000;
/** Rounds of session terminations at most (400 ms apart) while the load runs. */
const MAX_ROUNDS = 30;
/** How long the service may take to notice that the database is back. */
const RECOVERY_MS = 5_000;
/** The 503s a database fault may cause: the worker's, and the request deadline's. */
const UNAVAILABLE_CODES: readonly ErrorCode[] = ['SERVICE_UNAVAILABLE', 'DEADLINE_EXCEEDED'];

interface Answer extends TestResponse {
  label: string;
  ms: number;
}

/** Null when `answer` is one of `expected` or a clean 503, else what is wrong with it. */
function flawOf(answer: Answer, expected: readonly number[]): string | null {
  const [method = '', path = ''] = answer.label.split(' ');
  try {
    const operationId = operationIdFor(method, path);
    if (operationId !== undefined) assertMatchesContract(operationId, answer);
    if (expected.includes(answer.status)) return null;

    const code = (answer.body as { code?: ErrorCode } | null)?.code;
    assert.ok(code !== undefined && UNAVAILABLE_CODES.includes(code), 'a 503 code');
    assertProblem(answer, 503, code);
    assert.match(answer.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After');
    return null;
  } catch (error) {
    return `${answer.label} answered ${answer.status}: ${String(error)} ${answer.text.slice(0, 300)}`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const postgres = await postgresOnly('database faults');

if (postgres !== null) {
  const target = new URL(postgres.url);
  const database = target.pathname.slice(1);
  const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
  const proxied = new URL(postgres.url);
  proxied.port = String(proxy.port);
  const api = new ApiFixture({ ...postgres, url: proxied.toString() });
  // Sessions are terminated from the server's maintenance database, outside the victim.
  const adminUrl = new URL(postgres.url);
  adminUrl.pathname = '/postgres';
  const admin = await openDatabase(adminUrl.toString(), { poolSize: 1 });
  const test = suite('database faults [postgres]');

  /** Terminates every session of the test database; returns how many there were. */
  const terminateSessions = async () => {
    const result = await sql<{ terminated: boolean }>`
      select pg_terminate_backend(pid) as terminated from pg_stat_activity
      where datname = ${database} and pid <> pg_backend_pid()`.execute(admin.db);
    return result.rows.filter((row) => row.terminated).length;
  };

  /** A request that must be answered within HANG_MS, with its duration. */
  const send = async (method: string, path: string, options: RequestOptions = {}) => {
    const label = `${method} ${path}`;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${label}: no answer in ${HANG_MS} ms`)), HANG_MS);
    });
    try {
      const response = await Promise.race([api.server.request(method, path, options), hang]);
      return { ...response, label, ms: performance.now() - started };
    } finally {
      clearTimeout(timer);
    }
  };

  /** Rows as stored, read past the proxy, the API and its cache. */
  const stored = async (eventId: number) => {
    const handle = await openDatabase(postgres.url, { poolSize: 1 });
    try {
      const registrations = await handle.db
        .selectFrom('registrations')
        .select(['participant_id', 'seat'])
        .where('event_id', '=', eventId)
        .execute();
      const organizers = await handle.db.selectFrom('organizers').select('id').execute();
      const participants = await handle.db.selectFrom('participants').select('id').execute();
      return {
        registrations,
        organizerIds: new Set(organizers.map((row) => row.id)),
        participantIds: new Set(participants.map((row) => row.id)),
      };
    } finally {
      await handle.close();
    }
  };

  /** Gives the database back and polls readiness until it is 200 or RECOVERY_MS passed. */
  const restoreAndAwaitReady = async () => {
    await proxy.restore();
    const restoredAt = performance.now();
    let readyAgain = await send('GET', '/health/ready');
    while (readyAgain.status !== 200 && performance.now() - restoredAt < RECOVERY_MS) {
      await sleep(100);
      readyAgain = await send('GET', '/health/ready');
    }
    return { readyAgain, recoveryMs: performance.now() - restoredAt };
  };

  test.before(() => api.start());
  test.after(async () => {
    try {
      await api.stop();
    } finally {
      await proxy.close();
      await admin.close();
    }
  });

  test('every request under load gets a success, EVENT_FULL or a clean 503 while all sessions are terminated, and no data is lost or overbooked', async () => {
    const capacity = 20;
    const event = await api.createEvent((await api.createOrganizer()).id, { capacity });
    const token = api.token;
    const flaws: string[] = [];
    const statuses = new Map<string, number>();
    const created = { organizers: [] as number[], participants: [] as number[] };
    const registered = new Set<number>();
    let isRunning = true;
    let isFull = false;

    const judge = (answer: Answer, expected: readonly number[]) => {
      const flaw = flawOf(answer, expected);
      if (flaw !== null) flaws.push(flaw);
      const key = `${answer.status} ${(answer.body as { code?: string } | null)?.code ?? ''}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      return flaw === null && expected.includes(answer.status);
    };
    const loop = async (step: () => Promise<void>) => {
      while (isRunning) {
        try {
          await step();
        } catch (error) {
          flaws.push(String(error));
        }
      }
    };
    const register = async (participantId: number) => {
      const path = `/participant/${event.id}/participant/${participantId}`;
      const answer = await send('POST', path, { token });
      const isOk = judge(answer, [200, 409]);
      if (isOk && answer.status === 409) {
        assert.is((answer.body as { code: string }).code, 'EVENT_FULL', `${path} conflict`);
        isFull = true;
      }
      if (isOk && answer.status === 200) registered.add(participantId);
    };

    const loops = [
      loop(async () => {
        judge(await send('GET', '/event/all?filter=Event&pageSize=20'), [200]);
      }),
      loop(async () => {
        judge(await send('GET', `/participant/${event.id}/all`), [200]);
      }),
      loop(async () => {
        const n = nextNumber();
        const body = { name: `Organizer ${n}`, email: `organizer${n}@example.test` };
        const answer = await send('POST', '/organizer', { body, token });
        if (judge(answer, [201])) created.organizers.push((answer.body as { id: number }).id);
      }),
      loop(async () => {
        const n = nextNumber();
        const body = { name: `Participant ${n}`, email: `participant${n}@example.test` };
        const answer = await send('POST', '/participant', { body, token });
        if (!judge(answer, [201])) return;

        const participantId = (answer.body as { id: number }).id;
        created.participants.push(participantId);
        await register(participantId);
      }),
      // Registering someone again must stay one registration, even across a lost session.
      loop(async () => {
        const someone = created.participants[created.participants.length - 1];
        await (someone === undefined ? sleep(20) : register(someone));
      }),
    ];

    // At least five rounds, and on until the event is full (how soon depends on the machine).
    const terminated: number[] = [];
    try {
      for (let round = 0; round < MAX_ROUNDS && (round < 5 || !isFull); round++) {
        await sleep(400);
        terminated.push(await terminateSessions());
      }
      await sleep(400);
    } finally {
      isRunning = false;
      await Promise.all(loops);
    }

    const summary = JSON.stringify(Object.fromEntries(statuses));
    assert.equal(flaws.slice(0, 5), [], `${flaws.length} flawed answers of ${summary}`);
    assert.ok(
      terminated.filter((count) => count > 0).length >= 4,
      `sessions were terminated in most rounds: ${terminated.join(', ')}`,
    );
    assert.ok(isFull && created.organizers.length > 0, `writes went through: ${summary}`);

    expectStatus(await api.get('/health/ready'), 200);
    expectStatus(await api.get('/event/all?filter=Event'), 200);
    const after = await api.createOrganizer();
    const rows = await stored(event.id);
    const seats = rows.registrations.map((row) => row.seat);
    const people = rows.registrations.map((row) => row.participant_id);
    // Filled, and not beyond: the load pushed past the capacity, which held.
    assert.is(seats.length, capacity, 'registrations stored');
    assert.ok(
      seats.every((seat) => seat >= 1 && seat <= capacity),
      'seats within the capacity',
    );
    assert.is(new Set(seats).size, seats.length, 'no seat taken twice');
    assert.is(new Set(people).size, people.length, 'nobody registered twice');
    assert.equal(
      [...registered].filter((id) => !people.includes(id)),
      [],
      'every 200 registration is stored',
    );
    assert.equal(
      [...created.organizers, after.id].filter((id) => !rows.organizerIds.has(id)),
      [],
      'every 201 organizer is stored',
    );
    assert.equal(
      created.participants.filter((id) => !rows.participantIds.has(id)),
      [],
      'every 201 participant is stored',
    );
  });

  test('with the database down, requests fail fast with 503 and Retry-After, readiness is 503, liveness 200, and service resumes by itself when it returns', async () => {
    const event = await api.createEvent((await api.createOrganizer()).id, { capacity: 5 });
    const participant = await api.createParticipant();
    const cached = await api.get(`/event/${event.id}`);
    expectStatus(cached, 200);
    const token = api.token;

    await proxy.cut();
    const needingDatabase = [
      await send('GET', '/event/all?filter=Event'),
      await send('GET', `/participant/${event.id}/all`),
      await send('POST', '/organizer', {
        body: { name: 'Down', email: 'down@example.test' },
        token,
      }),
      await send('POST', `/participant/${event.id}/participant/${participant.id}`, { token }),
    ];
    const ready = await send('GET', '/health/ready');
    const live = await send('GET', '/health/live');
    const fromCache = await send('GET', `/event/${event.id}`);
    const { readyAgain, recoveryMs } = await restoreAndAwaitReady();

    for (const answer of needingDatabase) {
      assert.is(flawOf(answer, []), null);
      assert.is((answer.body as { code: string }).code, 'SERVICE_UNAVAILABLE', answer.label);
      assert.ok(answer.ms < FAIL_FAST_MS, `${answer.label} answered in ${answer.ms.toFixed(0)} ms`);
    }
    const readiness = assertProblem(ready, 503, 'SERVICE_UNAVAILABLE');
    assertMatchesContract('health.ready', ready);
    assert.equal((readiness as { checks?: unknown }).checks, { database: 'down' });
    assert.ok(ready.ms < FAIL_FAST_MS, `readiness answered in ${ready.ms.toFixed(0)} ms`);
    assert.is(live.status, 200, 'liveness does not depend on the database');
    assert.is(fromCache.status, 200, 'a cached document is still served');
    assert.is(fromCache.headers.get('x-cache'), 'hit');
    assert.is(fromCache.text, cached.text);

    assert.is(readyAgain.status, 200, `ready again after ${recoveryMs.toFixed(0)} ms`);
    assert.equal(readyAgain.body, { status: 'ok', checks: { database: 'up' } });
    expectStatus(await api.get(`/participant/${event.id}/all`), 200);
    await api.createOrganizer();
    expectStatus(await api.register(event.id, participant.id), 200);
  });

  test('with the database silent (packets dropped), every request gets a 503 in the deadline, then within milliseconds, and service resumes when it answers again', async () => {
    const event = await api.createEvent((await api.createOrganizer()).id);
    const participant = await api.createParticipant();
    // Idle pooled connections exist now; the partition will strand them.
    await Promise.all(
      Array.from({ length: 6 }, (_, index) => send('GET', `/event/all?filter=warm${index}`)),
    );

    proxy.hold();
    const firstWave = await Promise.all([
      ...Array.from({ length: 6 }, (_, index) => send('GET', `/event/all?filter=silent${index}`)),
      send('POST', `/participant/${event.id}/participant/${participant.id}`, {
        token: api.token,
      }),
    ]);
    const secondWave = await Promise.all([
      ...Array.from({ length: 6 }, (_, index) => send('GET', `/event/all?filter=later${index}`)),
      send('GET', '/health/ready'),
    ]);
    const live = await send('GET', '/health/live');
    const { readyAgain, recoveryMs } = await restoreAndAwaitReady();

    // Stranded connections are given up after 5 s, new ones time out after 3 s, then the
    // breaker answers at once: the first requests take seconds, none more than the deadline.
    for (const answer of [...firstWave, ...secondWave]) {
      if (answer.label === 'GET /health/ready') assertProblem(answer, 503, 'SERVICE_UNAVAILABLE');
      else assert.is(flawOf(answer, []), null);
      assert.ok(answer.ms < 11_000, `${answer.label} answered in ${answer.ms.toFixed(0)} ms`);
    }
    const fast = secondWave.filter((answer) => answer.ms < 500);
    assert.ok(
      fast.length >= secondWave.length / 2,
      `second wave: ${secondWave.map((answer) => answer.ms.toFixed(0)).join(', ')} ms`,
    );
    assert.is(live.status, 200);
    assert.is(readyAgain.status, 200, `ready again ${recoveryMs.toFixed(0)} ms after it answers`);
    expectStatus(await api.get(`/event/all?filter=back`), 200);
    expectStatus(await api.register(event.id, participant.id), 200);
  });

  test.run();
}
