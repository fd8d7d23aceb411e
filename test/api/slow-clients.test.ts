/**
 * Slow clients: bodies that stall or trickle, against a short request deadline, and headers
 * that trickle (slowloris), against uWebSockets.js's own idle timeout. Anonymous routes only,
 * so no password hashing competes with the deadline on a busy machine.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sqliteDialect } from '../support/dialects.js';
import { ApiFixture, dialectSuites, expectStatus } from './api-fixture.js';
import { rawExchange } from './raw-http.js';

/** The deadline this file's server runs with (REQUEST_TIMEOUT_MS), short to keep tests quick. */
const REQUEST_TIMEOUT_MS = 1500;
/** How late after the deadline an answer may come on a loaded 2-core machine. */
const SLACK_MS = 1500;

/** The head of an anonymous POST /authentication/login declaring a body of `length` bytes. */
function loginHead(length: number): string {
  return (
    'POST /authentication/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${length}\r\n\r\n`
  );
}

await dialectSuites(
  'slow clients',
  (test, api) => {
    test('cuts off a body that stops arriving with 408 REQUEST_TIMEOUT at the deadline', async () => {
      const response = await rawExchange(
        api.server.api.port,
        [loginHead(100), '{"email":"slow'],
        10,
        REQUEST_TIMEOUT_MS + 3000,
      );

      assert.is(response.status, 408, response.head);
      assert.is((JSON.parse(response.body) as { code: string }).code, 'REQUEST_TIMEOUT');
      assert.ok(
        response.elapsedMs < REQUEST_TIMEOUT_MS + SLACK_MS,
        `answered after ${Math.round(response.elapsedMs)} ms`,
      );
      expectStatus(await api.get('/health/live'), 200);
    });

    test('cuts off a body trickled one byte at a time at the deadline', async () => {
      const bytes = [...`{"email":"${'x'.repeat(60)}`];

      const response = await rawExchange(
        api.server.api.port,
        [loginHead(1000), ...bytes],
        100,
        REQUEST_TIMEOUT_MS + 4000,
      );

      assert.is(response.status, 408, response.head);
      assert.ok(
        response.elapsedMs < REQUEST_TIMEOUT_MS + SLACK_MS,
        `answered after ${Math.round(response.elapsedMs)} ms`,
      );
    });
  },
  { login: false, env: { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } },
);

/**
 * REQUEST_TIMEOUT_MS starts once a request's head is complete. Until then uWebSockets.js
 * 20.30 owns the connection: it closes one that has not completed a request head within its
 * fixed 10 s idle timeout (HTTP_IDLE_TIMEOUT_S, not configurable), however the bytes trickle.
 * The dialect plays no part, so this runs once.
 */
const UWS_IDLE_TIMEOUT_MS = 10_000;
const headers = suite('slow clients: trickled headers');
const api = new ApiFixture(sqliteDialect(), { login: false });
headers.before(() => api.start());
headers.after(() => api.stop());

headers('closes a connection whose headers trickle in (slowloris) after about 10 s', async () => {
  const lines = Array.from({ length: 200 }, (_, index) => `X-Slow-${index}: ${index}\r\n`);
  const parts = ['GET /event/all HTTP/1.1\r\n', 'Host: localhost\r\n', ...lines];

  // 200 lines at 100 ms would take 20 s: the server must end it well before.
  const response = await rawExchange(api.server.api.port, parts, 100, UWS_IDLE_TIMEOUT_MS + 8000);

  assert.ok(
    response.isClosedByServer,
    `the connection was still open after ${Math.round(response.elapsedMs)} ms`,
  );
  assert.ok(
    response.elapsedMs < UWS_IDLE_TIMEOUT_MS + 3000,
    `closed after ${Math.round(response.elapsedMs)} ms`,
  );
  assert.is(response.status, null, 'closed without an answer');
  expectStatus(await api.get('/health/live'), 200);
});

headers.run();
