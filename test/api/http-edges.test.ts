import * as assert from 'uvu/assert';
import {
  assertMatchesContract,
  assertProblem,
  mediaTypeOf,
  TRACE_ID,
} from '../support/openapi-responses.js';
import {
  dialectSuites,
  expectStatus,
  futureDate,
  type ApiFixture,
  type ApiResponse,
} from './api-fixture.js';
import { chunked, headerOf, rawExchange } from './raw-http.js';

const MAX_BODY_BYTES = 64 * 1024;

/** A JSON event body of exactly `bytes` bytes (the title carries the padding). */
function eventBodyOfSize(bytes: number, organizerId: number): string {
  const shell = JSON.stringify({ title: '', date: futureDate(1), location: 'Here', organizerId });
  return shell.replace('"title":""', `"title":"${'x'.repeat(bytes - Buffer.byteLength(shell))}"`);
}

function allowed(response: ApiResponse): string[] {
  return (response.headers.get('allow') ?? '')
    .split(',')
    .map((method) => method.trim())
    .sort();
}

async function jsonPost(
  api: ApiFixture,
  path: string,
  rawBody: string | Uint8Array,
  contentType?: string,
) {
  return api.request('POST', path, {
    token: api.token,
    rawBody,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  });
}

await dialectSuites('HTTP edges', (test, api) => {
  test('matches routes case-insensitively', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);

    const list = await api.get('/EVENT/ALL');
    const one = await api.get(`/Event/${event.id}`);
    const organizerPage = await api.get(`/ORGANIZER/${organizer.id}`);
    const update = await api.send('PUT', `/Event/Update/${event.id}`, {
      title: 'Mixed Case',
      date: event.date,
      location: event.location,
      organizerId: organizer.id,
    });
    const statistics = await api.get('/Dashboard/Statistics/ALL');

    expectStatus(list, 200);
    assertMatchesContract('event.list', list);
    expectStatus(one, 200);
    assertMatchesContract('event.get', one);
    assert.is(one.body.id, event.id);
    expectStatus(organizerPage, 200);
    assertMatchesContract('organizer.get', organizerPage);
    expectStatus(update, 200);
    assert.is(update.body.title, 'Mixed Case');
    expectStatus(statistics, 200);
    assertMatchesContract('statistics.get', statistics);
    expectStatus(await api.send('DELETE', `/EVENT/DELETE/${event.id}`), 204);
  });

  test('answers 400 VALIDATION_FAILED for ids that are not positive 32-bit integers, on every id route', async () => {
    const routes: [string, string, string, string][] = [
      ['GET', '/event/{x}', 'event.get', 'id'],
      ['PUT', '/event/update/{x}', 'event.update', 'id'],
      ['DELETE', '/event/delete/{x}', 'event.delete', 'id'],
      ['GET', '/organizer/{x}', 'organizer.get', 'id'],
      ['PUT', '/organizer/update/{x}', 'organizer.update', 'id'],
      ['DELETE', '/organizer/delete/{x}', 'organizer.delete', 'id'],
      ['POST', '/organizer/{x}/event/1', 'organizer.assignEvent', 'organizerId'],
      ['POST', '/organizer/1/event/{x}', 'organizer.assignEvent', 'eventId'],
      ['GET', '/participant/{x}', 'participant.get', 'id'],
      ['PUT', '/participant/update/{x}', 'participant.update', 'id'],
      ['DELETE', '/participant/delete/{x}', 'participant.delete', 'id'],
      ['GET', '/participant/{x}/all', 'participant.listByEvent', 'eventId'],
      ['POST', '/participant/{x}/participant/1', 'participant.register', 'eventId'],
      ['POST', '/participant/1/participant/{x}', 'participant.register', 'participantId'],
      ['GET', '/speaker/{x}', 'speaker.get', 'id'],
      ['PUT', '/speaker/update/{x}', 'speaker.update', 'id'],
      ['DELETE', '/speaker/delete/{x}', 'speaker.delete', 'id'],
      ['POST', '/speaker/{x}/event/1', 'speaker.linkEvent', 'speakerId'],
      ['POST', '/speaker/1/event/{x}', 'speaker.linkEvent', 'eventId'],
    ];
    const bodies: Record<string, unknown> = {
      'event.update': { title: 'T', date: futureDate(1), location: 'L', organizerId: 1 },
      'organizer.update': { name: 'N', email: 'n@example.test' },
      'participant.update': { name: 'N', email: 'n@example.test' },
      'speaker.update': { name: 'N', email: 'n@example.test', biography: 'B' },
    };

    for (const [method, template, operationId, parameter] of routes) {
      for (const id of ['0', '-1', 'abc', '2147483648', '99999999999', '1.5', '1e3', '0x10']) {
        const path = template.replace('{x}', id);
        const body = bodies[operationId];
        const response = await api.request(
          method,
          path,
          body === undefined ? { token: api.token } : { token: api.token, body },
        );

        assert.is(response.status, 400, `${method} ${path}: ${response.text}`);
        const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
        assertMatchesContract(operationId, response);
        assert.ok(
          problem.errors?.[parameter] !== undefined,
          `${method} ${path} names ${parameter}: ${response.text}`,
        );
      }
    }
  });

  test('accepts the largest 32-bit id and answers 404 for it', async () => {
    for (const path of [
      '/event/2147483647',
      '/organizer/2147483647',
      '/speaker/2147483647',
      '/participant/2147483647',
    ]) {
      assertProblem(await api.get(path), 404, 'NOT_FOUND');
    }
  });

  test('rejects unknown properties named like Object.prototype members with 400', async () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const statuses: [string, number][] = [];

    for (const name of names) {
      const rawBody = `{"name":"Proto","email":"proto@example.test","${name}":{"polluted":true}}`;
      const response = await jsonPost(api, '/organizer', rawBody, 'application/json');
      statuses.push([name, response.status]);
      if (response.status !== 400) continue;

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('organizer.create', response);
      assert.ok(Object.hasOwn(problem.errors ?? {}, name), `errors name ${name}: ${response.text}`);
    }

    const expected = names.map((name) => [name, 400]);
    assert.equal(statuses, expected, `status per property name: ${JSON.stringify(statuses)}`);
    assert.is(({} as Record<string, unknown>)['polluted'], undefined, 'nothing polluted here');
  });

  test('answers 400 VALIDATION_FAILED to JSON that is not an object', async () => {
    for (const rawBody of ['null', '[]', '"text"', '42', 'true', '[{"title":"x"}]']) {
      const response = await jsonPost(api, '/organizer', rawBody, 'application/json');

      assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('organizer.create', response);
    }
  });

  test('answers 400 to deeply nested JSON and keeps serving', async () => {
    const depth = 20_000;
    const rawBody = `{"name":"Deep","email":"deep@example.test","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;

    const response = await jsonPost(api, '/organizer', rawBody, 'application/json');

    assert.is(response.status, 400, response.text);
    assertMatchesContract('organizer.create', response);
    expectStatus(await api.get('/health/live'), 200);
  });

  test('answers 400 MALFORMED_BODY to malformed JSON', async () => {
    for (const rawBody of [
      '{"name":',
      "{'name':'x'}",
      '{"name":"x",}',
      '{"name":"x"} trailing',
      '{"name":"x"}{"name":"y"}',
      '\u0000',
    ]) {
      const response = await jsonPost(api, '/organizer', rawBody, 'application/json');

      assertProblem(response, 400, 'MALFORMED_BODY');
      assertMatchesContract('organizer.create', response);
    }
  });

  test('answers 400 MALFORMED_BODY to an empty body declared as JSON', async () => {
    const response = await jsonPost(api, '/organizer', new Uint8Array(0), 'application/json');

    assertProblem(response, 400, 'MALFORMED_BODY');
    assertMatchesContract('organizer.create', response);
  });

  test('answers 400 MALFORMED_BODY to bytes that are not valid UTF-8', async () => {
    const bodies = [
      new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
      // Overlong encoding of "/", and a UTF-16 surrogate encoded in UTF-8.
      Buffer.from([
        ...Buffer.from('{"name":"'),
        0xc0,
        0xaf,
        ...Buffer.from('","email":"a@b.test"}'),
      ]),
      Buffer.from([
        ...Buffer.from('{"name":"'),
        0xed,
        0xa0,
        0x80,
        ...Buffer.from('","email":"a@b.test"}'),
      ]),
    ];
    for (const rawBody of bodies) {
      const response = await jsonPost(api, '/organizer', rawBody, 'application/json');

      assertProblem(response, 400, 'MALFORMED_BODY');
      assertMatchesContract('organizer.create', response);
    }
    const anonymous = await api.request('POST', '/authentication/login', {
      rawBody: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
      headers: { 'content-type': 'application/json' },
    });
    assertProblem(anonymous, 400, 'MALFORMED_BODY');
    assertMatchesContract('auth.login', anonymous);
  });

  test('answers 415 UNSUPPORTED_MEDIA_TYPE without a content type or with a non-JSON one', async () => {
    const body = JSON.stringify({ name: 'Typed', email: 'typed@example.test' });
    const cases: [string | Uint8Array, string | undefined][] = [
      [Buffer.from(body), undefined],
      [body, 'text/plain'],
      [body, 'application/xml'],
      [body, 'application/x-www-form-urlencoded'],
      [body, 'application/json; charset=iso-8859-1'],
      [body, 'application/jsonx'],
      [body, 'multipart/form-data; boundary=x'],
    ];

    for (const [rawBody, contentType] of cases) {
      const response = await jsonPost(api, '/organizer', rawBody, contentType);

      assert.is(response.status, 415, `${contentType ?? 'no content type'}: ${response.text}`);
      assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      assertMatchesContract('organizer.create', response);
    }
    const register = await api.request('POST', '/authentication/register', {
      rawBody: body,
      headers: { 'content-type': 'text/plain' },
    });
    assertProblem(register, 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertMatchesContract('auth.register', register);
  });

  test('accepts application/json with a UTF-8 charset and in any letter case', async () => {
    for (const contentType of [
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'Application/JSON',
    ]) {
      const response = await jsonPost(
        api,
        '/organizer',
        JSON.stringify({ name: 'Typed', email: 'typed@example.test' }),
        contentType,
      );

      expectStatus(response, 201);
      assertMatchesContract('organizer.create', response);
    }
  });

  test('answers 413 PAYLOAD_TOO_LARGE to a body over 64 KiB and accepts one of exactly 64 KiB', async () => {
    const organizer = await api.createOrganizer();

    const atLimit = await jsonPost(
      api,
      '/event',
      eventBodyOfSize(MAX_BODY_BYTES, organizer.id),
      'application/json',
    );
    const overLimit = await jsonPost(
      api,
      '/event',
      eventBodyOfSize(MAX_BODY_BYTES + 1, organizer.id),
      'application/json',
    );
    const huge = await jsonPost(
      api,
      '/event',
      eventBodyOfSize(1024 * 1024, organizer.id),
      'application/json',
    );
    const anonymous = await api.request('POST', '/authentication/register', {
      body: { username: 'x'.repeat(70_000), email: 'big@example.test', password: 'long enough' },
    });

    const problem = assertProblem(atLimit, 400, 'VALIDATION_FAILED');
    assert.ok(
      problem.errors?.['title'] !== undefined,
      'the body at the limit was read and validated',
    );
    assertProblem(overLimit, 413, 'PAYLOAD_TOO_LARGE');
    assertMatchesContract('event.create', overLimit);
    assertProblem(huge, 413, 'PAYLOAD_TOO_LARGE');
    assertProblem(anonymous, 413, 'PAYLOAD_TOO_LARGE');
    assertMatchesContract('auth.register', anonymous);
    expectStatus(await api.get('/health/live'), 200);
  });

  test('answers 413 to a chunked body as soon as it crosses the limit', async () => {
    const head =
      'POST /organizer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${api.token}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    // 30 chunks of 16 KiB, 200 ms apart: the whole upload would take 6 s; the limit
    // (64 KiB) is crossed by the fifth chunk, about 1 s in.
    const parts = [
      head,
      chunked('{"name":"'),
      ...Array.from({ length: 30 }, () => chunked('x'.repeat(16 * 1024))),
      '0\r\n\r\n',
    ];

    const response = await rawExchange(api.server.api.port, parts, 200, 9000);

    assert.is(response.status, 413, response.head);
    assert.ok(response.elapsedMs < 3000, `answered after ${Math.round(response.elapsedMs)} ms`);
    assert.match(headerOf(response, 'content-type') ?? '', /^application\/problem\+json/);
    assert.is((JSON.parse(response.body) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
    expectStatus(await api.get('/health/live'), 200);
  });

  test('accepts a chunked body under the limit', async () => {
    const head =
      'POST /organizer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${api.token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    const parts = [
      head,
      chunked('{"name":"Chunked'),
      chunked(' Organizer","email":"chunked@example.test"}'),
      '0\r\n\r\n',
    ];

    const response = await rawExchange(api.server.api.port, parts);

    assert.is(response.status, 201, response.head);
    assert.is((JSON.parse(response.body) as { name: string }).name, 'Chunked Organizer');
  });

  test('answers 404 ROUTE_NOT_FOUND to unknown routes', async () => {
    for (const path of [
      '/nope',
      '/',
      '/events/all',
      '/event/1/extra',
      '/api/event/all',
      '/authentication',
      '/health',
    ]) {
      const response = await api.get(path);

      assertProblem(response, 404, 'ROUTE_NOT_FOUND');
    }
  });

  test('answers 405 METHOD_NOT_ALLOWED with an Allow header for a known route and another method', async () => {
    const cases: [string, string, string[]][] = [
      ['PATCH', '/event/1', ['GET']],
      ['DELETE', '/event/all', ['GET']],
      ['GET', '/event/delete/1', ['DELETE']],
      ['GET', '/event', ['POST']],
      ['PUT', '/organizer/1/event/2', ['POST']],
      ['POST', '/authentication/data', ['GET']],
      ['GET', '/authentication/login', ['POST']],
      ['DELETE', '/dashboard/statistics/all', ['GET']],
    ];

    for (const [method, path, methods] of cases) {
      const response = await api.request(method, path, { token: api.token });

      assert.is(response.status, 405, `${method} ${path}: ${response.text}`);
      assertProblem(response, 405, 'METHOD_NOT_ALLOWED');
      assert.equal(allowed(response), methods, `${method} ${path} Allow`);
    }
  });

  test('sends a distinct 32-hex X-Trace-Id on every kind of response', async () => {
    const organizer = await api.createOrganizer();
    const etag = (await api.get(`/organizer/${organizer.id}`)).headers.get('etag') ?? '';
    const responses: ApiResponse[] = [
      await api.get('/event/all'),
      await api.send('POST', '/speaker', {
        name: 'Traced',
        email: 'traced@example.test',
        biography: 'B',
      }),
      await api.send('DELETE', `/organizer/delete/${(await api.createOrganizer()).id}`),
      await api.get(`/organizer/${organizer.id}`),
      await api.get(`/organizer/${organizer.id}`, { 'if-none-match': etag }),
      await api.get('/event/abc'),
      await api.request('GET', '/authentication/data'),
      await api.get('/event/2147483647'),
      await api.get('/nope'),
      await api.request('PATCH', '/event/1'),
      await jsonPost(api, '/organizer', 'x'.repeat(MAX_BODY_BYTES + 1), 'application/json'),
      await jsonPost(api, '/organizer', '{}', 'text/plain'),
      await api.get('/swagger'),
      await api.get('/openapi.json'),
      await api.get('/health/live'),
      await api.get('/health/ready'),
    ];

    const seen = new Set<string>();
    for (const response of responses) {
      const traceId = response.headers.get('x-trace-id') ?? '';
      assert.match(traceId, TRACE_ID, `${response.label} (${response.status}) X-Trace-Id`);
      assert.not.ok(seen.has(traceId), `${response.label}: trace ids are unique`);
      seen.add(traceId);
    }
  });

  test('uses the trace id of an incoming traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const headers = { traceparent: `00-${traceId}-00f067aa0ba902b7-01` };
    const organizer = await api.createOrganizer();
    await api.get(`/organizer/${organizer.id}`);

    const responses = [
      await api.request('GET', '/event/all', { headers }),
      await api.request('POST', '/participant', {
        headers,
        token: api.token,
        body: { name: 'T', email: 't@example.test' },
      }),
      await api.request('GET', `/organizer/${organizer.id}`, { headers }),
      await api.request('GET', '/event/2147483647', { headers }),
      await api.request('GET', '/nope', { headers }),
      await api.request('GET', '/health/live', { headers }),
    ];

    for (const response of responses) {
      assert.is(
        response.headers.get('x-trace-id'),
        traceId,
        `${response.label} (${response.status})`,
      );
      if (mediaTypeOf(response) === 'application/problem+json')
        assert.is(response.body.traceId, traceId);
    }
  });

  test('ignores an invalid traceparent and makes a new trace id', async () => {
    const invalid = [
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01',
      'garbage',
    ];

    for (const traceparent of invalid) {
      const response = await api.request('GET', '/event/2147483647', {
        headers: { traceparent },
      });

      const problem = assertProblem(response, 404, 'NOT_FOUND');
      assert.match(problem.traceId, TRACE_ID);
      assert.not.ok(
        traceparent.toLowerCase().includes(problem.traceId),
        `${traceparent} was not used`,
      );
    }
  });

  // uWebSockets.js 20.30 enforces the header limits itself, before any handler runs, so
  // there is no 431 to send (README, Limitations): a request head it cannot buffer (over
  // 4 KiB when it arrives in pieces, over its receive buffer in one piece) closes the
  // connection; a head of more than about 50 header lines is dropped unanswered, and the
  // connection then ends at uWS's 10 s idle timeout.
  test('closes the connection on 1 MiB of headers and keeps serving', async () => {
    const response = await rawExchange(api.server.api.port, [
      `GET /event/all HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'p'.repeat(1024 * 1024)}\r\n\r\n`,
    ]);

    assert.is(response.status, null, `answered: ${response.head}`);
    assert.ok(response.isClosedByServer, 'the server closed the connection');
    expectStatus(await api.get('/health/live'), 200);
  });

  test('leaves more than 50 header lines unanswered and keeps serving', async () => {
    const lines = Array.from({ length: 60 }, (_, index) => `X-Line-${index}: ${index}\r\n`);
    const response = await rawExchange(
      api.server.api.port,
      [`GET /health/live HTTP/1.1\r\nHost: localhost\r\n${lines.join('')}\r\n`],
      10,
      1500,
    );

    assert.is(response.status, null, `answered: ${response.head}`);
    expectStatus(await api.get('/health/live'), 200);
  });

  test('serves 40 header lines and 3 KiB of headers whether in one packet or two', async () => {
    const lines = Array.from({ length: 38 }, (_, index) => `X-Line-${index}: ${index}\r\n`);
    const padding = 'p'.repeat(3 * 1024);
    const request = `GET /health/live HTTP/1.1\r\nHost: localhost\r\n${lines.join('')}X-Padding: ${padding}\r\nConnection: close\r\n\r\n`;
    const middle = request.indexOf(padding) + padding.length / 2;

    const whole = await rawExchange(api.server.api.port, [request]);
    const split = await rawExchange(
      api.server.api.port,
      [request.slice(0, middle), request.slice(middle)],
      100,
    );

    assert.is(whole.status, 200, `one packet: ${whole.head}`);
    assert.is(split.status, 200, `two packets: ${split.head}`);
  });

  test('reports liveness and readiness with the database up', async () => {
    const live = await api.get('/health/live');
    const ready = await api.get('/health/ready');

    expectStatus(live, 200);
    assertMatchesContract('health.live', live);
    assert.equal(live.body, { status: 'ok' });
    expectStatus(ready, 200);
    assertMatchesContract('health.ready', ready);
    assert.equal(ready.body, { status: 'ok', checks: { database: 'up' } });
  });

  test('never answers 5xx to SQL metacharacters in paths, queries and bodies', async () => {
    const responses = [
      await api.get("/event/1'%20OR%201=1--"),
      await api.get('/event/all?filter=%27%3B%20DROP%20TABLE%20events%3B--&sortBy=date'),
      await api.get('/event/all?sortBy=date%3B%20DROP%20TABLE%20events'),
      await api.send('POST', '/organizer', {
        name: "'); DELETE FROM organizers; --",
        email: "o'hara@example.test",
      }),
    ];

    for (const response of responses)
      assert.ok(response.status < 500, `${response.label}: ${response.status} ${response.text}`);
    const [badId, filtered, badSort, created] = responses;
    assert.is(badId?.status, 400);
    assert.is(filtered?.status, 200);
    assert.is(badSort?.status, 400);
    assert.is(created?.status, 201);
  });
});
