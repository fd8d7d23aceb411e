import { redisSuite } from '../cache/cache-kit.js';
import * as assert from 'uvu/assert';

import { startTestServer, type TestServer } from '../support/server.js';
import type { ReceivedSpan } from './otlp-receiver.js';
import {
  createEvent,
  startTracedServer,
  type TracedServer,
  traceIdOf,
} from './telemetry-fixture.js';

const { test, redis } = await redisSuite('tracing with Redis');
const SECRET = 'redis-tracing-test-secret-of-32-bytes!!';
let first: TracedServer;
let second: TestServer;

test.before(async () => {
  const env = { REDIS_URL: redis.url, JWT_SECRET: SECRET };
  first = await startTracedServer(env);
  // A second instance on the same Redis and database: its near cache starts empty.
  second = await startTestServer({
    databaseUrl: first.server.config.databaseUrl,
    env: {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: first.receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_METRICS_EXPORTER: 'none',
      EVENTFLOW_TRACE_HIT_RATIO: '1',
    },
  });
});

test.after(async () => {
  await second.stop();
  await first.stop();
});

const cacheSpans = (spans: ReceivedSpan[], level: string): ReceivedSpan[] =>
  spans.filter((span) => span.name === 'cache.get' && span.attributes['cache.level'] === level);
const isDatabase = (span: ReceivedSpan): boolean => span.attributes['db.system'] !== undefined;

test('shows a Redis miss before the database, then a Redis hit on another instance without one', async () => {
  const eventId = await createEvent(first.server, first.token);
  await waitForSharedLevel();

  const miss = await first.server.request('GET', `/event/${eventId}`);
  assert.is(miss.headers.get('x-cache'), 'miss');
  const missSpans = await first.receiver.waitForTrace(traceIdOf(miss), (all) =>
    all.some(isDatabase),
  );
  const [redisMiss] = cacheSpans(missSpans, 'redis');
  assert.is(redisMiss?.attributes['cache.hit'], false);
  assert.is(cacheSpans(missSpans, 'near')[0]?.attributes['cache.hit'], false);

  const hit = await second.request('GET', `/event/${eventId}`);
  assert.is(hit.headers.get('x-cache'), 'hit');
  const hitSpans = await first.receiver.waitForTrace(
    traceIdOf(hit),
    (all) => cacheSpans(all, 'redis').length > 0 && all.some((span) => span.parentSpanId === ''),
  );
  assert.is(cacheSpans(hitSpans, 'redis')[0]?.attributes['cache.hit'], true);
  assert.is(cacheSpans(hitSpans, 'near')[0]?.attributes['cache.hit'], false);
  assert.not.ok(hitSpans.some(isDatabase), 'no database span on a Redis hit');
  assert.is(
    hitSpans.find((span) => span.parentSpanId === '')?.resource['service.name'],
    'eventflow',
  );
});

async function waitForSharedLevel(): Promise<void> {
  const deadline = Date.now() + 15_000;
  const ready = (server: TestServer) => {
    const shared = server.api.cache.stats().shared;
    return shared?.isChannelUp === true && shared.epoch !== null && shared.breaker === 'closed';
  };
  while (!(ready(first.server) && ready(second)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(ready(first.server) && ready(second), 'both instances on Redis');
}

test.run();
