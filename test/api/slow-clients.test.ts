/**
 * Slow clients against a short request deadline: bodies that stall or trickle, and headers
 * that trickle (slowloris). Anonymous routes only, so no password hashing competes with the
 * deadline on a busy machine.
 */
import * as assert from 'uvu/assert';
import { dialectSuites, expectStatus } from './api-fixture.js';
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

    test('cuts off a client whose headers trickle in (slowloris) at the deadline', async () => {
      const lines = Array.from({ length: 60 }, (_, index) => `X-Slow-${index}: ${index}\r\n`);
      const parts = ['GET /event/all HTTP/1.1\r\n', 'Host: localhost\r\n', ...lines];

      const response = await rawExchange(
        api.server.api.port,
        parts,
        100,
        REQUEST_TIMEOUT_MS + 3000,
      );

      assert.ok(
        response.isClosedByServer,
        `the connection was still open after ${Math.round(response.elapsedMs)} ms`,
      );
      assert.ok(
        response.elapsedMs < REQUEST_TIMEOUT_MS + SLACK_MS,
        `closed after ${Math.round(response.elapsedMs)} ms`,
      );
      if (response.status !== null) assert.is(response.status, 408);
    });
  },
  { login: false, env: { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } },
);
