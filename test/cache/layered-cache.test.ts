import { Redis } from 'ioredis';
import * as assert from 'uvu/assert';
import { encodeEnvelope } from '../../src/cache/document-envelope.js';
import { redisKeysOf, type RedisKeyPair } from '../../src/cache/redis-keys.js';
import { eventKey, organizerKey } from '../../src/domain/cache-keys.js';
import {
  documentOf,
  FakeDatabase,
  openCacheNode,
  readThrough,
  redisSuite,
  sleep,
  storedVersion,
  versionOf,
  waitUntil,
  type CacheNode,
} from './cache-kit.js';

const { test, redis } = await redisSuite('LayeredCache');

let raw: Redis;
const nodes: CacheNode[] = [];

async function node(overrides = {}): Promise<CacheNode> {
  const opened = openCacheNode(redis.url, overrides);
  nodes.push(opened);
  await waitUntil(() => opened.cache.isSharedLevelReady, 5000, 'the Redis level');
  return opened;
}

test.before(() => {
  raw = new Redis(redis.url);
});

test.after.each(async () => {
  await Promise.all(nodes.splice(0).map((opened) => opened.cache.close()));
  await raw.flushall();
});

test.after(async () => {
  await raw.quit();
});

test('serves a document one instance filled to another from Redis without a database read', async () => {
  const [a, b] = [await node(), await node()];
  const db = new FakeDatabase();
  const key = eventKey(1);
  db.write(key);

  const first = await readThrough(a, db, key);
  const second = await readThrough(b, db, key);

  assert.is(first.outcome, 'miss');
  assert.is(second.outcome, 'hit');
  assert.is(versionOf(second), 1);
  assert.is(db.reads, 1);
  assert.is(b.cache.stats().shared?.hits, 1);
  assert.is(await storedVersion(raw, key), 1);
});

test('answers the next read from the near cache synchronously, bytes as stored', async () => {
  const a = await node();
  const db = new FakeDatabase();
  const key = organizerKey(3);
  db.write(key);

  const loaded = await readThrough(a, db, key);
  const near = a.aside.peek(key);

  assert.ok(near !== undefined, 'near-cache hit');
  assert.ok(near.body.equals(loaded.document?.body as Buffer));
  assert.is(near.etag, `"${key}-1"`);
  assert.is(a.cache.stats().hits, 1);
});

test('makes hundreds of concurrent reads of a cold key cost one database read', async () => {
  const a = await node();
  const db = new FakeDatabase();
  const key = eventKey(2);
  db.write(key);

  const reads = await Promise.all(
    Array.from({ length: 400 }, () => readThrough(a, db, key, { loadDelayMs: 30 })),
  );

  assert.is(db.reads, 1);
  assert.ok(reads.every((read) => versionOf(read) === 1));
});

test('makes concurrent cold reads on two instances cost at most one database read each', async () => {
  const [a, b] = [await node(), await node()];
  const db = new FakeDatabase();
  const key = eventKey(4);
  db.write(key);

  await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      readThrough(i % 2 === 0 ? a : b, db, key, { loadDelayMs: 30 }),
    ),
  );

  assert.ok(db.reads <= 2, `${db.reads} database reads`);
});

test('treats corrupt and foreign values in Redis as misses, never serves them, and replaces them', async () => {
  const a = await node();
  const db = new FakeDatabase();
  const keys = [eventKey(10), eventKey(11), eventKey(12), eventKey(13)];
  for (const key of keys) db.write(key);
  const [foreign, truncated, forged, binary] = keys.map(redisKeysOf) as [
    RedisKeyPair,
    RedisKeyPair,
    RedisKeyPair,
    RedisKeyPair,
  ];
  const epoch = a.cache.stats().shared?.epoch ?? '';
  // Each key has a live version token, so the values below are what a reader gets back.
  for (const pair of [foreign, truncated, forged, binary]) await raw.set(pair.version, 'live');

  await raw.set(foreign.value, '{"title":"written by someone else"}');
  const whole = encodeEnvelope(epoch, 'live', documentOf(keys[1] as string, 99));
  await raw.set(truncated.value, whole.subarray(0, 9));
  // Well-formed, but under a token the key no longer has: a forged or leftover value.
  await raw.set(forged.value, encodeEnvelope(epoch, 'old', documentOf(keys[2] as string, 99)));
  await raw.set(binary.value, Buffer.from([0xef, 0xca, 0x01, 0xff, 0x00]));

  for (const key of keys) {
    const read = await readThrough(a, db, key);
    assert.is(read.outcome, 'miss', key);
    assert.is(versionOf(read), 1, key);
    assert.is(await storedVersion(raw, key), 1, `${key} replaced by the fill`);
  }
  assert.is(db.reads, 4);
  assert.is(a.cache.stats().shared?.corruptValues, 3);
});

test('answers a deleted document as absent at once, also while it was cached', async () => {
  const [a, b] = [await node(), await node()];
  const db = new FakeDatabase();
  const key = eventKey(20);
  db.write(key);
  await readThrough(a, db, key);
  await readThrough(b, db, key);
  assert.ok(b.aside.peek(key) !== undefined, 'cached on b');

  db.delete(key);
  await a.aside.invalidate([key]);
  const onWriter = await readThrough(a, db, key);
  await waitUntil(() => b.aside.peek(key) === undefined, 1000, 'the message on b');
  const onOther = await readThrough(b, db, key);

  assert.is(onWriter.document, null);
  assert.is(onOther.document, null);
  assert.is(await storedVersion(raw, key), null);
});

test('drops the near copy of another instance as soon as its message arrives', async () => {
  const [a, b] = [await node(), await node()];
  const db = new FakeDatabase();
  const key = eventKey(30);
  db.write(key);
  await readThrough(b, db, key);
  assert.ok(b.aside.peek(key) !== undefined);

  db.write(key);
  const startedAt = performance.now();
  await a.aside.invalidate([key]);
  await waitUntil(() => b.aside.peek(key) === undefined, 1000, 'the message on b');
  const delay = performance.now() - startedAt;

  assert.is(versionOf(await readThrough(b, db, key)), 2);
  assert.ok(delay < 100, `message took ${delay} ms`);
});

test('keeps the near cache within its byte budget', async () => {
  const a = await node({ nearMaxBytes: 4096 });
  const db = new FakeDatabase();
  for (let id = 1; id <= 200; id++) {
    db.write(eventKey(id));
    await readThrough(a, db, eventKey(id));
  }

  const stats = a.cache.stats();
  assert.ok(stats.bytes <= 4096, `${stats.bytes} bytes`);
  assert.ok(stats.entries < 200);
  assert.ok(stats.entries > 0);
});

test('reports hits, misses, fills, invalidations and the breaker state', async () => {
  const a = await node();
  const db = new FakeDatabase();
  const key = eventKey(40);
  db.write(key);

  await readThrough(a, db, key);
  await a.cache.get(key);
  await a.aside.invalidate([key]);
  await sleep(5);
  const shared = a.cache.stats().shared;

  assert.ok(shared !== undefined);
  assert.is(shared.misses, 1);
  assert.is(shared.hits, 1);
  assert.is(shared.fills, 1);
  assert.is(shared.invalidations, 1);
  assert.is(shared.breaker, 'closed');
  assert.is(shared.isChannelUp, true);
  assert.type(shared.epoch, 'string');
});

test.run();
