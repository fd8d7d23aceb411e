/**
 * Clients that go away mid-request, and clients that read their answer slowly: nothing may be
 * left behind (in-flight requests, pool tasks, open transactions), and a large answer must
 * reach a slow reader whole while everyone else is served.
 */
import { connect, type Socket } from 'node:net';
import { sql } from 'kysely';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/db/connect.js';
import { suite } from 'uvu';
import { sqliteDialect } from '../support/dialects.js';
import { ApiFixture, dialectSuites, expectStatus } from './api-fixture.js';

/** A gauge's value in the server's /metrics text. */
async function gauge(api: ApiFixture, name: string): Promise<number> {
  const text = (await api.get('/metrics')).text;
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  assert.ok(line !== undefined, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

async function settles(api: ApiFixture, name: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let value = await gauge(api, name);
  while (value !== 0 && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 50));
    value = await gauge(api, name);
  }
  return value;
}

/** Sends `request` and destroys the socket `afterMs` later, without reading anything. */
function sendAndVanish(port: number, request: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(request);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, afterMs);
    });
    socket.on('error', () => resolve());
  });
}

function post(path: string, token: string, body: string, declaredLength = body.length): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${declaredLength}\r\n\r\n${body}`
  );
}

/** A reader that connects, asks, and reads nothing until `resume`. */
interface PausedReader {
  socket: Socket;
  resume(): Promise<Buffer>;
}

function pausedReader(port: number, path: string): Promise<PausedReader> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      socket.pause();
      resolve({
        socket,
        resume: () =>
          new Promise((done) => {
            const chunks: Buffer[] = [];
            socket.on('data', (chunk: Buffer) => chunks.push(chunk));
            socket.on('end', () => done(Buffer.concat(chunks)));
            socket.resume();
          }),
      });
    });
    socket.on('error', reject);
  });
}

function bodyOf(raw: Buffer): { contentLength: number; body: Buffer } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, split).toString();
  const contentLength = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
  return { contentLength, body: raw.subarray(split + 4) };
}

await dialectSuites('aborted clients and slow readers', (test, api) => {
  test('an upload abandoned halfway leaves no request in flight', async () => {
    const port = api.server.api.port;
    const half = '{"name":"Never finished","email":"never';

    await Promise.all(
      Array.from({ length: 20 }, () =>
        sendAndVanish(port, post('/organizer', api.token, half, 500), 50),
      ),
    );

    assert.is(await settles(api, 'eventflow_http_requests_in_flight'), 0);
    expectStatus(await api.get('/health/live'), 200);
  });

  test('clients gone before their answer leave no task, transaction or lost write', async () => {
    const port = api.server.api.port;
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 5 });
    const participants = await Promise.all(
      Array.from({ length: 10 }, () => api.createParticipant()),
    );

    const requests = [
      ...participants.map((participant) =>
        post(`/participant/${event.id}/participant/${participant.id}`, api.token, ''),
      ),
      ...Array.from({ length: 10 }, (_, index) =>
        post(
          '/participant',
          api.token,
          JSON.stringify({ name: `Gone ${index}`, email: `gone${index}@example.test` }),
        ),
      ),
      ...Array.from(
        { length: 10 },
        (_, index) => `GET /event/all?filter=gone${index} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
      ),
    ];
    await Promise.all(requests.map((request) => sendAndVanish(port, request, 1)));

    assert.is(await settles(api, 'eventflow_http_requests_in_flight'), 0, 'in flight');
    assert.is(await settles(api, 'eventflow_pool_queue_depth'), 0, 'queued tasks');
    const registered = await api.get(`/participant/${event.id}/all?pageSize=50`);
    expectStatus(registered, 200);
    assert.ok(registered.body.length <= 5, `${registered.body.length} registered of 5 seats`);

    if (api.dialect.name === 'postgres') {
      const handle = await openDatabase(api.dialect.url, { poolSize: 1 });
      try {
        const { rows } = await sql<{ open: string }>`
          select count(*) as open from pg_stat_activity
          where datname = current_database() and state like 'idle in transaction%'`.execute(
          handle.db,
        );
        assert.is(Number(rows[0]?.open), 0, 'transactions left open');
      } finally {
        await handle.close();
      }
    }
    expectStatus(await api.get(`/event/${event.id}`), 200);
  });
});

// How slow readers are served does not depend on the dialect: one suite, on SQLite.
const readers = suite('slow readers');
const api = new ApiFixture(sqliteDialect());
readers.before(() => api.start());
readers.after(() => api.stop());

readers('slow readers of a 4.8 MB cached document get every byte, and cost no copies', async () => {
  const organizer = await api.createOrganizer();
  for (let index = 0; index < 600; index++) {
    await api.createEvent(organizer.id, { description: `${index} ${'d'.repeat(7990)}` });
  }
  const path = `/organizer/${organizer.id}`;
  const fresh = await api.get(path);
  expectStatus(fresh, 200);
  assert.ok(fresh.text.length > 4_000_000, `${fresh.text.length} bytes`);
  assert.is((await api.get(path)).headers.get('x-cache'), 'hit');

  const rssBefore = process.memoryUsage().rss;
  const paused = await Promise.all(
    Array.from({ length: 60 }, () => pausedReader(api.server.api.port, path)),
  );
  await new Promise((done) => setTimeout(done, 500));
  // The kernel's socket buffers take part of each answer; the rest waits for the reader.
  // Written with res.end, uWS would hold a private copy of that rest per reader (about
  // 22 MB here); written with backpressure, it stays in the cache's one buffer.
  const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  for (let index = 0; index < 10; index++) expectStatus(await api.get('/event/all'), 200);
  const answers = await Promise.all(paused.map((reader) => reader.resume()));

  assert.ok(grownMiB < 10, `memory grew by ${grownMiB.toFixed(1)} MiB with 60 readers paused`);
  for (const answer of answers) {
    const { contentLength, body } = bodyOf(answer);
    assert.is(body.byteLength, contentLength);
    assert.ok(body.equals(Buffer.from(fresh.text)), 'the same document, byte for byte');
  }
});

readers.run();
