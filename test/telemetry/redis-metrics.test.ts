import * as assert from 'uvu/assert';

import type { LayeredCache } from '../../src/cache/layered-cache.js';
import { redisSuite, waitUntil } from '../cache/cache-kit.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { KIND, type ReceivedSpan } from './otlp-receiver.js';
import {
  createEvent,
  scrapeMetrics,
  type Series,
  startTracedServer,
  type TracedServer,
  traceIdOf,
  valueOf,
} from './telemetry-fixture.js';

const { test, redis } = await redisSuite('metrics and sampling with Redis');
const SECRET = 'redis-metrics-test-secret-of-32-bytes!!!';
const SLOW_MS = 100;
/** How long Redis is frozen under a read to make that read slow. */
const FREEZE_MS = 300;
/** The observed instance: hits never sampled, so only slowness can trace one. */
let observed: TracedServer;
/** A second instance on the same Redis and database, which fills Redis by missing. */
let filler: TestServer;

test.before(async () => {
  const env = { REDIS_URL: redis.url, JWT_SECRET: SECRET, REDIS_COMMAND_TIMEOUT_MS: '2000' };
  observed = await startTracedServer({
    ...env,
    EVENTFLOW_TRACE_HIT_RATIO: '0',
    EVENTFLOW_TRACE_SLOW_MS: String(SLOW_MS),
  });
  filler = await startTestServer({ databaseUrl: observed.server.config.databaseUrl, env });
});

test.after(async () => {
  await filler.stop();
  await observed.stop();
});

const isServer = (span: ReceivedSpan): boolean => span.kind === KIND.server;
const redisSpans = (spans: ReceivedSpan[]): ReceivedSpan[] =>
  spans.filter((s) => s.name === 'cache.get' && s.attributes['cache.level'] === 'redis');

async function bothOnRedis(): Promise<void> {
  await waitUntil(
    () => [observed.server, filler].every((s) => (s.api.cache as LayeredCache).isSharedLevelReady),
    15_000,
    'both instances on Redis',
  );
}

/** An event that is in Redis (the filler missed it) but not in the observed near cache. */
async function eventInRedis(): Promise<number> {
  const eventId = await createEvent(observed.server, observed.token);
  const fill = await filler.request('GET', `/event/${eventId}`);
  assert.is(fill.headers.get('x-cache'), 'miss');
  return eventId;
}

const metrics = (server: TestServer): Promise<Series[]> => scrapeMetrics(server.baseUrl);

function breakerState(all: Series[]): string {
  const states = all.filter((s) => s.name === 'eventflow_cache_breaker_state' && s.value === 1);
  assert.is(states.length, 1, JSON.stringify(states));
  return states[0]?.labels['state'] ?? '';
}

test('GET /metrics shows the Redis level: a shared hit and a fill move its counters', async () => {
  await bothOnRedis();
  const [observedBefore, fillerBefore] = [await metrics(observed.server), await metrics(filler)];
  const eventId = await eventInRedis();
  const hit = await observed.server.request('GET', `/event/${eventId}`);
  assert.is(hit.headers.get('x-cache'), 'hit');
  const [observedAfter, fillerAfter] = [await metrics(observed.server), await metrics(filler)];

  const redisLevel = { level: 'redis' };
  const delta = (after: Series[], before: Series[], name: string): number =>
    valueOf(after, name, redisLevel) - valueOf(before, name, redisLevel);
  assert.is(delta(observedAfter, observedBefore, 'eventflow_cache_hits_total'), 1);
  assert.is(delta(observedAfter, observedBefore, 'eventflow_cache_misses_total'), 0);
  assert.is(delta(fillerAfter, fillerBefore, 'eventflow_cache_misses_total'), 1);
  assert.is(delta(fillerAfter, fillerBefore, 'eventflow_cache_fills_total'), 1);
  assert.ok(delta(observedAfter, observedBefore, 'eventflow_cache_invalidations_total') >= 1);
  const ratio = valueOf(observedAfter, 'eventflow_cache_hit_ratio', redisLevel);
  assert.ok(ratio > 0 && ratio <= 1, `redis hit ratio ${ratio}`);

  assert.is(breakerState(observedAfter), 'closed');
  for (const state of ['closed', 'open', 'half-open']) {
    assert.ok(
      observedAfter.some(
        (s) => s.name === 'eventflow_cache_breaker_state' && s.labels['state'] === state,
      ),
      `breaker series for ${state}`,
    );
  }
  assert.is(valueOf(observedAfter, 'eventflow_cache_invalidation_channel_up', redisLevel), 1);
  assert.is(valueOf(observedAfter, 'eventflow_cache_errors_total', redisLevel), 0);
});

test('a slow Redis hit is traced although hits are not sampled; a fast one is not', async () => {
  await bothOnRedis();
  const fastId = await eventInRedis();
  const slowId = await eventInRedis();

  const fast = await observed.server.request('GET', `/event/${fastId}`);
  assert.is(fast.headers.get('x-cache'), 'hit');

  // Freeze Redis under the read: the GET waits (within the 2 s command timeout), then hits.
  redis.pause();
  const thaw = setTimeout(() => redis.resume(), FREEZE_MS);
  const startedAt = performance.now();
  const slow = await observed.server.request('GET', `/event/${slowId}`).finally(() => {
    clearTimeout(thaw);
    redis.resume();
  });
  assert.ok(performance.now() - startedAt >= FREEZE_MS - 20, 'the read waited for Redis');
  assert.is(slow.status, 200);
  assert.is(slow.headers.get('x-cache'), 'hit');

  const spans = await observed.receiver.waitForTrace(
    traceIdOf(slow),
    (all) => all.some(isServer) && redisSpans(all).length > 0,
  );
  const server = spans.find(isServer) as ReceivedSpan;
  assert.is(server.attributes['eventflow.cache'], 'hit');
  assert.ok(server.endNs - server.startNs > BigInt(SLOW_MS * 1e6), 'server span is slow');
  assert.is(redisSpans(spans)[0]?.attributes['cache.hit'], true);
  assert.not.ok(
    spans.some((s) => s.attributes['db.system'] !== undefined),
    'no database span',
  );

  // The slow trace has been exported; the fast hit, answered before it, left nothing.
  assert.is(observed.receiver.trace(traceIdOf(fast)).length, 0);
});

test('with Redis killed, /metrics shows reads skipping it, then a write opens the breaker until it returns', async () => {
  await bothOnRedis();
  const eventId = await createEvent(observed.server, observed.token);
  const before = await metrics(observed.server);
  assert.is(breakerState(before), 'closed');
  const redisLevel = { level: 'redis' };
  const counter = (all: Series[], name: string) => valueOf(all, name, redisLevel);

  // A kill resets the connections at once: the invalidation channel is down, so reads skip
  // Redis without a failing command, and the breaker stays closed.
  await redis.kill();
  await waitUntil(() => !(observed.server.api.cache as LayeredCache).isSharedLevelReady);
  const read = await observed.server.request('GET', '/event/987654');
  assert.is(read.status, 404);
  const skipping = await metrics(observed.server);
  assert.is(counter(skipping, 'eventflow_cache_invalidation_channel_up'), 0);
  assert.ok(
    counter(skipping, 'eventflow_cache_skipped_total') >
      counter(before, 'eventflow_cache_skipped_total'),
    'a skipped read',
  );

  // A write whose invalidation Redis cannot confirm trips the breaker.
  const write = await observed.server.request('PUT', `/event/update/${eventId}`, {
    token: observed.token,
    body: {
      title: 'Written without Redis',
      date: '2090-07-01T10:00:00.000Z',
      location: 'Porto',
      organizerId: 1,
    },
  });
  assert.is(write.status, 200, write.text);
  const open = await metrics(observed.server);
  assert.is(breakerState(open), 'open');
  assert.ok(
    counter(open, 'eventflow_cache_errors_total') > counter(before, 'eventflow_cache_errors_total'),
    'errors counted',
  );

  await redis.restart();
  await bothOnRedis();
  assert.is(breakerState(await metrics(observed.server)), 'closed');
});

test.run();
