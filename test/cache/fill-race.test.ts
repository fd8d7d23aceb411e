import { Redis } from 'ioredis';
import * as assert from 'uvu/assert';
import type { CacheAsideRead } from '../../src/cache/cache-aside.js';
import { EPOCH_CHANNEL, EPOCH_KEY } from '../../src/cache/redis-keys.js';
import { eventKey } from '../../src/domain/cache-keys.js';
import {
  FakeDatabase,
  Gate,
  openCacheNode,
  readThrough,
  redisSuite,
  storedVersion,
  versionOf,
  waitUntil,
  type CacheNode,
} from './cache-kit.js';

const { test, redis } = await redisSuite('cache fill races');

let raw: Redis;
const nodes: CacheNode[] = [];

async function node(): Promise<CacheNode> {
  const opened = openCacheNode(redis.url);
  nodes.push(opened);
  await waitUntil(() => opened.cache.isSharedLevelReady, 5000, 'the Redis level');
  return opened;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms),
    ),
  ]);
}

/** Starts a read through `reader` that stops after its database read until `resume` opens. */
async function pausedRead(reader: CacheNode, db: FakeDatabase, key: string) {
  const hasLoaded = new Gate();
  const resume = new Gate();
  const read = readThrough(reader, db, key, {
    afterLoad: async () => {
      hasLoaded.open();
      await resume.opened;
    },
  });
  await hasLoaded.opened;
  return { read, resume };
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

test('refuses the fill of a read that loaded before a write on the same instance', async () => {
  const a = await node();
  const db = new FakeDatabase();
  const key = eventKey(1);
  db.write(key);

  const paused = await pausedRead(a, db, key);
  db.write(key);
  await a.aside.invalidate([key]);
  // Starts after the acknowledged write: must not join the paused load.
  const later = await within(readThrough(a, db, key), 2000, 'the read after the write');
  paused.resume.open();
  const early: CacheAsideRead<number> = await paused.read;

  assert.is(versionOf(early), 1, 'the early read may answer what it read');
  assert.is(versionOf(later), 2);
  assert.is(await storedVersion(raw, key), 2, 'Redis holds the new document');
  assert.is(a.cache.stats().shared?.rejectedFills, 1);
  assert.is(versionOf(await readThrough(a, db, key)), 2);
  assert.is(a.aside.peek(key)?.etag, `"${key}-2"`);
});

test('refuses the fill of a read that loaded before a write on another instance', async () => {
  const [a, b] = [await node(), await node()];
  const db = new FakeDatabase();
  const key = eventKey(2);
  db.write(key);

  const paused = await pausedRead(a, db, key);
  db.write(key);
  await b.aside.invalidate([key]);
  await waitUntil(() => a.cache.stats().invalidations === 1, 1000, 'the message on a');
  const later = await within(readThrough(a, db, key), 2000, 'the read after the write');
  paused.resume.open();
  await paused.read;

  assert.is(versionOf(later), 2);
  assert.is(await storedVersion(raw, key), 2);
  assert.is(versionOf(await readThrough(a, db, key)), 2);
  assert.is(versionOf(await readThrough(b, db, key)), 2);
  assert.is(a.aside.peek(key)?.etag, `"${key}-2"`);
});

test('leaves nothing cached when the paused fill is the only read after the write', async () => {
  const [a, b] = [await node(), await node()];
  const db = new FakeDatabase();
  const key = eventKey(3);
  db.write(key);

  const paused = await pausedRead(a, db, key);
  db.write(key);
  await b.aside.invalidate([key]);
  paused.resume.open();
  await paused.read;

  assert.is(await storedVersion(raw, key), null, 'the old document was not stored');
  assert.is(a.aside.peek(key), undefined, 'nor kept in the near cache');
  assert.is(versionOf(await readThrough(a, db, key)), 2);
  assert.is(versionOf(await readThrough(b, db, key)), 2);
});

test('stops serving every stored document when the epoch is replaced', async () => {
  const [a, b] = [await node(), await node()];
  const db = new FakeDatabase();
  const key = eventKey(4);
  db.write(key);
  await readThrough(a, db, key);
  await readThrough(b, db, key);
  assert.is(db.reads, 1);

  // What an instance that missed invalidations does on recovery, done by hand here.
  await raw.set(EPOCH_KEY, 'replaced-by-test');
  await raw.publish(EPOCH_CHANNEL, 'test-instance replaced-by-test');
  await waitUntil(
    () => [a, b].every((n) => n.cache.stats().shared?.epoch === 'replaced-by-test'),
    2000,
    'the new epoch',
  );

  assert.is(a.aside.peek(key), undefined, 'near caches were cleared');
  assert.is((await readThrough(a, db, key)).outcome, 'miss');
  assert.is((await readThrough(b, db, key)).outcome, 'hit');
  assert.is(db.reads, 2, 'one database read after the epoch changed');
});

test.run();
