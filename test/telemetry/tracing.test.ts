import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { KIND, type ReceivedSpan, STATUS_CODE } from './otlp-receiver.js';
import {
  createEvent,
  startTracedServer,
  type TracedServer,
  traceIdOf,
} from './telemetry-fixture.js';

const tracing = suite('tracing');
let traced: TracedServer;
let eventId: number;
const TITLE = 'Observability Summit 4711';

tracing.before(async () => {
  traced = await startTracedServer();
  eventId = await createEvent(traced.server, traced.token, TITLE);
});

tracing.after(async () => {
  await traced.stop();
});

function one(
  spans: ReceivedSpan[],
  test: (span: ReceivedSpan) => boolean,
  what: string,
): ReceivedSpan {
  const found = spans.filter(test);
  assert.is(found.length, 1, `one ${what} in ${JSON.stringify(spans.map((s) => s.name))}`);
  return found[0] as ReceivedSpan;
}

const isServer = (span: ReceivedSpan): boolean => span.kind === KIND.server;
const isDatabase = (span: ReceivedSpan): boolean => span.attributes['db.system'] !== undefined;

tracing('a miss is one trace from the server span across the pool to the database', async () => {
  const response = await traced.server.request('GET', `/event/${eventId}`);
  assert.is(response.status, 200);
  assert.is(response.headers.get('x-cache'), 'miss');
  const traceId = traceIdOf(response);

  const spans = await traced.receiver.waitForTrace(
    traceId,
    (all) => all.some(isServer) && all.some(isDatabase),
  );
  const server = one(spans, isServer, 'server span');
  assert.is(server.name, 'GET /event/{id}');
  assert.is(server.parentSpanId, '');
  assert.is(server.attributes['http.request.method'], 'GET');
  assert.is(server.attributes['http.route'], '/event/{id}');
  assert.is(server.attributes['url.path'], `/event/${eventId}`);
  assert.is(server.attributes['http.response.status_code'], 200);
  assert.is(server.attributes['server.port'], traced.server.api.port);
  assert.is(server.attributes['eventflow.cache'], 'miss');
  assert.is(server.status.code, STATUS_CODE.unset);
  assert.is(server.resource['service.name'], 'eventflow-test');
  assert.is(server.resource['deployment.environment.name'], 'test');

  const near = one(spans, (s) => s.name === 'cache.get', 'cache span');
  assert.is(near.parentSpanId, server.spanId);
  assert.is(near.attributes['cache.level'], 'near');
  assert.is(near.attributes['cache.hit'], false);

  const pool = one(spans, (s) => s.name === 'pool.run', 'pool.run span');
  assert.is(pool.parentSpanId, server.spanId);
  assert.is(pool.attributes['eventflow.operation'], 'event.get');
  assert.type(pool.attributes['pool.queue_wait_ms'], 'number');

  // The use case ran in a worker thread: its parent is the main thread's pool.run span.
  const useCase = one(spans, (s) => s.name === 'event.get', 'use-case span');
  assert.is(useCase.parentSpanId, pool.spanId);
  assert.ok(
    useCase.startNs >= pool.startNs && useCase.endNs <= pool.endNs,
    'use case inside pool.run',
  );
  assert.ok(
    pool.startNs >= server.startNs && pool.endNs <= server.endNs,
    'pool.run inside the request',
  );

  const queries = spans.filter(isDatabase);
  assert.ok(queries.length >= 1);
  for (const query of queries) {
    assert.is(query.parentSpanId, useCase.spanId);
    assert.is(query.kind, KIND.client);
    assert.is(query.attributes['db.system'], 'sqlite');
    assert.is(query.attributes['db.operation.name'], 'select');
    assert.type(query.attributes['db.query.text'], 'string');
  }
  const eventQuery = queries.find((q) => q.attributes['db.collection.name'] === 'events');
  assert.ok(eventQuery !== undefined, 'a query of the events table');
  assert.is(eventQuery.name, 'select events');
  const text = String(eventQuery.attributes['db.query.text']);
  assert.ok(text.includes('?'), `parameterised: ${text}`);
  assert.not.ok(new RegExp(`\\b${eventId}\\b`).test(text), `no id literal: ${text}`);
});

tracing('a hit is a server span and a cache span, with no pool or database span', async () => {
  await traced.server.request('GET', `/event/${eventId}`);
  const response = await traced.server.request('GET', `/event/${eventId}`);
  assert.is(response.headers.get('x-cache'), 'hit');
  const traceId = traceIdOf(response);

  const spans = await traced.receiver.waitForTrace(traceId, (all) => all.length >= 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const all = traced.receiver.trace(traceId);
  assert.is(all.length, 2, JSON.stringify(all.map((s) => s.name)));
  const server = one(spans, isServer, 'server span');
  assert.is(server.attributes['eventflow.cache'], 'hit');
  assert.is(server.attributes['http.response.status_code'], 200);
  const cache = one(spans, (s) => s.name === 'cache.get', 'cache span');
  assert.is(cache.parentSpanId, server.spanId);
  assert.is(cache.attributes['cache.hit'], true);
  assert.is(cache.attributes['cache.level'], 'near');
  assert.ok(cache.startNs >= server.startNs && cache.endNs <= server.endNs, 'true start times');
  assert.not.ok(all.some(isDatabase));
  assert.not.ok(all.some((s) => s.name === 'pool.run'));
});

tracing(
  'an incoming sampled traceparent is joined: same trace id, parent is the caller span',
  async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const response = await traced.server.request('GET', `/event/${eventId}`, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    assert.is(response.headers.get('x-cache'), 'hit');
    assert.is(traceIdOf(response), traceId);

    const spans = await traced.receiver.waitForTrace(traceId, (all) => all.some(isServer));
    assert.is(one(spans, isServer, 'server span').parentSpanId, callerSpan);
  },
);

tracing('a write is traced with its statements, without the values it wrote', async () => {
  const title = 'Secret Title Value 9137';
  const response = await traced.server.request('PUT', `/event/update/${eventId}`, {
    token: traced.token,
    body: { title, date: '2090-07-01T10:00:00.000Z', location: 'Porto', organizerId: 1 },
  });
  assert.is(response.status, 200, response.text);
  const spans = await traced.receiver.waitForTrace(traceIdOf(response), (all) =>
    all.some((s) => s.attributes['db.operation.name'] === 'update'),
  );
  const update = spans.find((s) => s.attributes['db.operation.name'] === 'update') as ReceivedSpan;
  assert.is(update.attributes['db.collection.name'], 'events');
  const text = String(update.attributes['db.query.text']);
  assert.not.ok(text.includes(title) || text.includes('Porto'), text);
  assert.ok(spans.some((s) => s.name === 'event.update'));
});

tracing('a 404 from the use case is recorded with its status, not as a server error', async () => {
  const response = await traced.server.request('GET', '/event/987654');
  assert.is(response.status, 404);
  const spans = await traced.receiver.waitForTrace(
    traceIdOf(response),
    (all) => all.some(isServer) && all.some((s) => s.name === 'event.get'),
  );
  const server = one(spans, isServer, 'server span');
  assert.is(server.attributes['http.response.status_code'], 404);
  assert.is(server.status.code, STATUS_CODE.unset);
  assert.is(server.attributes['error.type'], undefined);
  const useCase = one(spans, (s) => s.name === 'event.get', 'use-case span');
  assert.is(useCase.attributes['eventflow.problem.code'], 'NOT_FOUND');
});

tracing('an unknown route is traced as a 404 without a route', async () => {
  const response = await traced.server.request('GET', '/no/such/route');
  assert.is(response.status, 404);
  const spans = await traced.receiver.waitForTrace(traceIdOf(response), (all) =>
    all.some(isServer),
  );
  const server = one(spans, isServer, 'server span');
  assert.is(server.name, 'GET');
  assert.is(server.attributes['http.route'], undefined);
});

tracing('a failing query marks the database, use-case and server spans as errors', async () => {
  // Break the schema under the running server: the speaker table disappears.
  const database = new Database(traced.databaseFile);
  database.pragma('foreign_keys = OFF');
  database.exec('DROP TABLE event_speakers; DROP TABLE speakers;');
  database.close();

  const response = await traced.server.request('GET', '/speaker/1');
  assert.is(response.status, 500);
  const spans = await traced.receiver.waitForTrace(
    traceIdOf(response),
    (all) => all.some(isServer) && all.some((s) => s.name === 'speaker.get'),
  );
  const server = one(spans, isServer, 'server span');
  assert.is(server.status.code, STATUS_CODE.error);
  assert.is(server.attributes['error.type'], '500');
  assert.is(server.attributes['http.response.status_code'], 500);

  const useCase = one(spans, (s) => s.name === 'speaker.get', 'use-case span');
  assert.is(useCase.status.code, STATUS_CODE.error);
  assert.ok(
    useCase.events.some((e) => e.name === 'exception'),
    'exception event',
  );

  const failed = spans.filter((s) => isDatabase(s) && s.status.code === STATUS_CODE.error);
  assert.ok(failed.length >= 1, 'a failed query span');
  assert.is(failed[0]?.attributes['error.type'], 'SQLITE_ERROR');
});

tracing.run();
